package flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// ParamKind is the type family of a parameter.
type ParamKind int

// The parameter kinds. JSON covers every other JSON-decodable Go type.
const (
	String ParamKind = iota
	Int
	Float
	Bool
	Duration
	JSON
	// File is a file parameter (FileParam): a local file stored in the
	// datastore when a run starts; its value in a run is a FileValue.
	File
)

var paramKindNames = [...]string{"string", "int", "float", "bool", "duration", "json", "file"}

func (k ParamKind) String() string { return paramKindNames[k] }

var durationType = reflect.TypeFor[time.Duration]()

// KindOf returns the parameter kind used for values of type t.
func KindOf(t reflect.Type) ParamKind {
	if t == durationType {
		return Duration
	}
	switch t.Kind() {
	case reflect.String:
		return String
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Int
	case reflect.Float32, reflect.Float64:
		return Float
	case reflect.Bool:
		return Bool
	}
	return JSON
}

// Param is a run parameter. It becomes a flag of `run` and of
// `step-functions trigger`, and its value is stored in the state field
// Field before the start step runs.
type Param struct {
	Name     string       // flag name, e.g. "alpha" or "batch-size"
	Field    string       // state field that receives the value
	Help     string       // one line for --help
	Kind     ParamKind    // derived from Type
	Type     reflect.Type // Go type of the field
	Default  any          // value of type Type; ignored when Required; nil for a file parameter
	Required bool         // the user must give a value
	// Path is a file parameter's default file, relative to the working
	// directory ("" for other kinds).
	Path string
}

// Parse converts a command-line value into a value of the parameter's type.
// Its error names the parameter, the value and the expected type.
func (p *Param) Parse(s string) (any, error) {
	bad := func(want string) error {
		return fmt.Errorf("parameter %s: value %q is not %s", p.Name, s, want)
	}
	if p.Kind == File {
		v, err := ParseFileValue(s)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		return v, nil
	}
	if s == "" && p.Required && p.Kind != JSON {
		return nil, fmt.Errorf("parameter %s is required and cannot be empty; give a value with --%s (%s)", p.Name, p.Name, p.Help)
	}
	v := reflect.New(p.Type).Elem()
	switch p.Kind {
	case String:
		v.SetString(s)
	case Int:
		if v.CanUint() {
			n, err := strconv.ParseUint(s, 10, p.Type.Bits())
			if err != nil {
				return nil, bad(fmt.Sprintf("an unsigned integer of %d bits (e.g. 42)", p.Type.Bits()))
			}
			v.SetUint(n)
		} else {
			n, err := strconv.ParseInt(s, 10, p.Type.Bits())
			if err != nil {
				return nil, bad(fmt.Sprintf("an integer of %d bits (e.g. 42)", p.Type.Bits()))
			}
			v.SetInt(n)
		}
	case Float:
		n, err := strconv.ParseFloat(s, p.Type.Bits())
		if err != nil {
			return nil, bad("a number (e.g. 0.05)")
		}
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, fmt.Errorf("parameter %s: value %q is not a finite number; give one like 0.05 (NaN and infinities are refused)", p.Name, s)
		}
		v.SetFloat(n)
	case Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, bad("a boolean (true or false)")
		}
		v.SetBool(b)
	case Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, bad("a duration (e.g. 90s, 5m, 1h30m)")
		}
		v.SetInt(int64(d))
	case JSON:
		// Unknown keys are an error, as in config files: a typo must not
		// pass silently.
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		err := dec.Decode(v.Addr().Interface())
		if err == nil && dec.More() {
			err = errors.New("more than one JSON value")
		}
		if err != nil {
			return nil, fmt.Errorf("parameter %s: value %q is not JSON of type %s: %v", p.Name, s, p.Type, err)
		}
	}
	return v.Interface(), nil
}

// Format renders a value of the parameter's type the way Parse reads it.
func (p *Param) Format(v any) (string, error) {
	switch p.Kind {
	case JSON:
		b, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		return string(b), nil
	case Duration:
		return reflect.ValueOf(v).Interface().(time.Duration).String(), nil
	case File:
		if v == nil {
			return p.Path, nil
		}
	}
	return fmt.Sprint(v), nil
}
