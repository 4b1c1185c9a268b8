package artifact

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

var (
	jsonMarshalerType   = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// Unstorable says why a field of type t cannot be an artifact, or returns
// "" when it can: whether it would fail to encode, fail to decode, or
// silently lose its value. It looks at the type only, so that a flow's
// mistakes are found by check, before any step runs.
func Unstorable(t reflect.Type) string {
	if IsFile(t) || IsLazy(t) {
		return "" // top-level fields of the flow state: their own encodings
	}
	return unstorable(t, map[reflect.Type]bool{})
}

// marshals reports whether t encodes and decodes itself.
func marshals(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return (t.Implements(jsonMarshalerType) || p.Implements(jsonMarshalerType)) && p.Implements(jsonUnmarshalerType) ||
		(t.Implements(textMarshalerType) || p.Implements(textMarshalerType)) && p.Implements(textUnmarshalerType)
}

func unstorable(t reflect.Type, seen map[reflect.Type]bool) string {
	if seen[t] || marshals(t) {
		return ""
	}
	seen[t] = true
	if IsFile(t) || IsLazy(t) {
		return fmt.Sprintf("%s must be a field of the flow state itself, not inside another value", t)
	}
	switch t.Kind() {
	case reflect.Chan:
		return "a channel holds no data that can be saved"
	case reflect.Func:
		return "a function holds no data that can be saved"
	case reflect.UnsafePointer, reflect.Uintptr:
		return "a raw pointer means nothing in another process"
	case reflect.Interface:
		if t.NumMethod() > 0 {
			return fmt.Sprintf("an interface value (%s) cannot be decoded: the saved data does not say its concrete type", t)
		}
		return "" // any: decoded as JSON values
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return elem(t.Elem(), seen)
	case reflect.Map:
		if why := unstorable(t.Key(), seen); why != "" {
			return fmt.Sprintf("its keys (%s): %s", t.Key(), why)
		}
		return elem(t.Elem(), seen)
	case reflect.Struct:
		exported := 0
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() || strings.Split(sf.Tag.Get("json"), ",")[0] == "-" {
				continue
			}
			exported++
			if why := unstorable(sf.Type, seen); why != "" {
				return fmt.Sprintf("its field %s: %s", sf.Name, why)
			}
		}
		if exported == 0 && t.NumField() > 0 {
			return fmt.Sprintf("struct %s has no exported fields, so nothing of it would be saved", t)
		}
	}
	return ""
}

func elem(t reflect.Type, seen map[reflect.Type]bool) string {
	if why := unstorable(t, seen); why != "" {
		return fmt.Sprintf("its elements (%s): %s", t, why)
	}
	return ""
}
