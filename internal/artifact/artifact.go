// Package artifact encodes and decodes the values of flow state fields
// (artifacts) for storage in the datastore.
//
// Three encodings exist:
//
//   - "binary" (Marshal; see binary.go): every artifact but []byte. A
//     versioned, self-describing binary format in which numeric slices are
//     their little-endian memory, so they are written from and read into
//     the slice itself; a standalone inspector without the flow's Go types
//     can still read it (ReadTree, Summarize, WriteNPY).
//   - "bytes": the raw bytes of a []byte-kinded field.
//   - "json": encoding/json (Encode). Artifacts written before the binary
//     encoding existed, and frozen configs. Map keys are sorted, so the
//     encoding is deterministic for a given value.
package artifact

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// Encoding names.
const (
	JSON  = "json"
	Bytes = "bytes"
)

// Encode encodes v as JSON ("bytes" for a []byte-kinded value) and returns
// the bytes and the encoding name. Artifacts are written with Marshal;
// Encode remains for configs, whose frozen value is JSON. The error names the Go type and the reason (for
// example a NaN float, a channel or a func); the caller adds the artifact
// name.
func Encode(v reflect.Value) ([]byte, string, error) {
	if !v.IsValid() {
		return nil, "", errors.New("cannot encode an invalid (zero) reflect.Value")
	}
	t := v.Type()
	if isBytes(t) {
		return v.Bytes(), Bytes, nil
	}
	if err := checkType(t, map[reflect.Type]bool{}); err != nil {
		return nil, "", fmt.Errorf("cannot encode %s: %w", t, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v.Interface()); err != nil {
		return nil, "", fmt.Errorf("cannot encode %s as JSON: %s", t, explain(err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), JSON, nil
}

// isBytes reports whether t is a slice of bytes (including named types such
// as json.RawMessage), which is stored with the "bytes" encoding.
func isBytes(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
}

// checkType rejects types JSON cannot represent, with the path to the
// offending part. Interface-typed parts are checked when encoding.
func checkType(t reflect.Type, seen map[reflect.Type]bool) error {
	if seen[t] {
		return nil
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return fmt.Errorf("%s values (%s) cannot be stored; keep them out of the flow state or give the type a MarshalJSON method", t.Kind(), t)
	case reflect.Complex64, reflect.Complex128:
		if implementsJSON(t) {
			return nil
		}
		return fmt.Errorf("complex numbers (%s) are not representable in JSON; store real and imaginary parts separately", t)
	case reflect.Pointer, reflect.Slice, reflect.Array:
		if implementsJSON(t) {
			return nil
		}
		if err := checkType(t.Elem(), seen); err != nil {
			return err
		}
	case reflect.Map:
		if implementsJSON(t) {
			return nil
		}
		switch k := t.Key(); {
		case k.Kind() == reflect.String, isInt(k.Kind()), k.Implements(textMarshaler):
		default:
			return fmt.Errorf("map key type %s is not supported by JSON; use string, integer or encoding.TextMarshaler keys", k)
		}
		if err := checkType(t.Elem(), seen); err != nil {
			return fmt.Errorf("map value: %w", err)
		}
	case reflect.Struct:
		if implementsJSON(t) {
			return nil
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue // ignored by encoding/json
			}
			if tag := f.Tag.Get("json"); tag == "-" {
				continue
			}
			if err := checkType(f.Type, seen); err != nil {
				return fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
	}
	return nil
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()
)

func implementsJSON(t reflect.Type) bool {
	return t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) ||
		t.Implements(textMarshaler)
}

func isInt(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// explain rewords encoding/json errors for users.
func explain(err error) string {
	var uv *json.UnsupportedValueError
	if errors.As(err, &uv) {
		if uv.Value.CanFloat() {
			f := uv.Value.Float()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Sprintf("it contains the float %s, which JSON cannot represent; replace NaN and ±Inf (e.g. with a pointer set to nil)", uv.Str)
			}
		}
		if strings.Contains(uv.Str, "cycle") {
			return "it contains a pointer cycle"
		}
		return "unsupported value " + uv.Str
	}
	var ut *json.UnsupportedTypeError
	if errors.As(err, &ut) {
		return fmt.Sprintf("it holds a value of type %s, which JSON cannot represent", ut.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Decode decodes data with the named encoding into ptr, a non-nil pointer to
// a value of the field's type.
func Decode(data []byte, encoding string, ptr reflect.Value) error {
	if !ptr.IsValid() || ptr.Kind() != reflect.Pointer || ptr.IsNil() {
		return fmt.Errorf("decode: need a non-nil pointer, got %v", describe(ptr))
	}
	t := ptr.Type().Elem()
	if encoding == File {
		if !isBytes(t) {
			return fmt.Errorf("cannot decode a file artifact into %s: read it as []byte, or stream it (client Task.Open)", t)
		}
		encoding = Bytes
	}
	switch encoding {
	case Bytes:
		if !isBytes(t) {
			return fmt.Errorf("cannot decode %q-encoded data into %s: the encoding is for []byte values", encoding, t)
		}
		b := reflect.MakeSlice(t, len(data), len(data))
		reflect.Copy(b, reflect.ValueOf(data))
		ptr.Elem().Set(b)
		return nil
	case Binary:
		return Unmarshal(bytes.NewReader(data), int64(len(data)), encoding, ptr)
	case JSON:
		if isBytes(t) {
			// Written by an older or foreign encoder as base64 JSON.
			var b []byte
			if err := json.Unmarshal(data, &b); err != nil {
				return fmt.Errorf("cannot decode JSON into %s: %s", t, explain(err))
			}
			return Decode(b, Bytes, ptr)
		}
		if err := json.Unmarshal(data, ptr.Interface()); err != nil {
			return fmt.Errorf("cannot decode JSON into %s: %s", t, explain(err))
		}
		return nil
	default:
		return fmt.Errorf("cannot decode into %s: unknown encoding %q (want %q, %q or %q; a newer stepflow may know it)", t, encoding, Binary, JSON, Bytes)
	}
}

func describe(v reflect.Value) string {
	if !v.IsValid() {
		return "invalid value"
	}
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return "nil " + v.Type().String()
	}
	return v.Type().String()
}

// Pretty renders encoded data for humans (the inspector's dump): indented
// JSON (for "binary", with long arrays shortened; see AppendJSON), or
// "<N bytes>" and a hex preview of the first 32 bytes for "bytes". Invalid
// data is shown as such rather than failing.
func Pretty(data []byte, encoding string) string { return pretty(data, encoding, true) }

// PrettyFull is Pretty without shortening long arrays.
func PrettyFull(data []byte, encoding string) string { return pretty(data, encoding, false) }

func pretty(data []byte, encoding string, short bool) string {
	switch encoding {
	case Binary:
		n, err := ReadTree(bytes.NewReader(data), int64(len(data)))
		if err == nil {
			var b []byte
			if b, err = AppendJSON(nil, n, short); err == nil {
				return string(b)
			}
		}
		return fmt.Sprintf("<invalid binary artifact, %d bytes: %v>", len(data), err)
	case JSON:
		var buf bytes.Buffer
		if err := json.Indent(&buf, data, "", "  "); err != nil {
			return fmt.Sprintf("<invalid JSON, %d bytes: %v>", len(data), err)
		}
		return buf.String()
	case Bytes, File:
		const preview = 32
		s := fmt.Sprintf("<%d bytes>", len(data))
		if len(data) > 0 {
			s += " " + hex.EncodeToString(data[:min(len(data), preview)])
			if len(data) > preview {
				s += "…"
			}
		}
		return s
	default:
		return fmt.Sprintf("<%d bytes, unknown encoding %q>", len(data), encoding)
	}
}
