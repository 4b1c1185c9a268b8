package graph

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// artifacts checks that every exported field of the state can be saved
// and loaded as an artifact, so that a flow learns it from check rather
// than from a failed task.
func (l *linter) artifacts() {
	for _, sf := range l.f.Fields() {
		if why := unsaveable(sf.Type, nil); why != "" {
			l.add("", "artifact-type",
				"make the field unexported (lower case) if it is not an artifact, or give it a type of data: numbers, strings, bools, time.Time, slices, arrays, maps with string or integer keys, and structs of exported fields of such types",
				"field %s of type %s cannot be an artifact: %s", sf.Name, sf.Type, why)
		}
	}
}

var (
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// marshals reports whether t encodes and decodes itself.
func marshals(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return (t.Implements(jsonMarshaler) || p.Implements(jsonMarshaler)) && p.Implements(jsonUnmarshaler) ||
		(t.Implements(textMarshaler) || p.Implements(textMarshaler)) && p.Implements(textUnmarshaler)
}

// unsaveable says why values of t cannot round-trip through an artifact,
// or returns "". seen guards against recursive types.
func unsaveable(t reflect.Type, seen map[reflect.Type]bool) string {
	if seen[t] || marshals(t) {
		return ""
	}
	if seen == nil {
		seen = map[reflect.Type]bool{}
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Chan:
		return "a channel holds no data that can be saved"
	case reflect.Func:
		return "a function holds no data that can be saved"
	case reflect.UnsafePointer, reflect.Uintptr:
		return "a raw pointer means nothing in another process"
	case reflect.Complex64, reflect.Complex128:
		return "complex numbers have no JSON encoding; store the real and imaginary parts"
	case reflect.Interface:
		if t.NumMethod() > 0 {
			return fmt.Sprintf("an interface value (%s) cannot be decoded: the saved data does not say its concrete type", t)
		}
		return "" // any: decoded as JSON values
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return inner(t.Elem(), seen)
	case reflect.Map:
		switch t.Key().Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			if !reflect.PointerTo(t.Key()).Implements(textUnmarshaler) {
				return fmt.Sprintf("map keys of type %s have no JSON encoding; use string or integer keys", t.Key())
			}
		}
		return inner(t.Elem(), seen)
	case reflect.Struct:
		exported := 0
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() || strings.Split(sf.Tag.Get("json"), ",")[0] == "-" {
				continue
			}
			exported++
			if why := unsaveable(sf.Type, seen); why != "" {
				return fmt.Sprintf("its field %s: %s", sf.Name, why)
			}
		}
		if exported == 0 && t.NumField() > 0 {
			return fmt.Sprintf("struct %s has no exported fields, so nothing of it would be saved", t)
		}
	}
	return ""
}

func inner(t reflect.Type, seen map[reflect.Type]bool) string {
	if why := unsaveable(t, seen); why != "" {
		return fmt.Sprintf("its elements (%s): %s", t, why)
	}
	return ""
}
