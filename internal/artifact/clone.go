package artifact

import "reflect"

// Clone returns a copy of v that shares no mutable memory with it, for
// plain data (see Snapshot): slices and maps are copied, strings (which
// are immutable) are shared. Unexported struct fields are left at their
// zero value, as a decoded value has them. It returns false for any other
// type; the caller then decodes the value again instead.
func Clone(v reflect.Value) (reflect.Value, bool) {
	if !plain(v.Type(), 0) {
		return reflect.Value{}, false
	}
	out := reflect.New(v.Type()).Elem()
	cloneInto(out, v)
	return out, true
}

// Cloneable reports whether Clone copies values of t.
func Cloneable(t reflect.Type) bool { return plain(t, 0) }

// cloneInto sets dst (settable, zero) to a deep copy of src.
func cloneInto(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		if scalar(src.Type().Elem()) || src.Type().Elem().Kind() == reflect.String {
			reflect.Copy(s, src)
		} else {
			for i := 0; i < src.Len(); i++ {
				cloneInto(s.Index(i), src.Index(i))
			}
		}
		dst.Set(s)
	case reflect.Array:
		if scalar(src.Type().Elem()) || src.Type().Elem().Kind() == reflect.String {
			dst.Set(src)
			return
		}
		for i := 0; i < src.Len(); i++ {
			cloneInto(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(src.Type().Key()).Elem()
			cloneInto(k, it.Key())
			e := reflect.New(src.Type().Elem()).Elem()
			cloneInto(e, it.Value())
			m.SetMapIndex(k, e)
		}
		dst.Set(m)
	case reflect.Struct:
		t := src.Type()
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				cloneInto(dst.Field(i), src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}
