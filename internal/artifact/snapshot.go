package artifact

import (
	"bytes"
	"math"
	"reflect"
	"unsafe"
)

// A Snapshot remembers a value as it was loaded, so that after a step runs
// Unchanged can tell whether the step modified it without encoding it
// again. Snapshots exist for plain data: booleans, numbers, strings, and
// slices, arrays, structs and maps made of them. Slices of numbers are
// copied and compared as memory, which is orders of magnitude cheaper than
// JSON.
type Snapshot struct {
	copy reflect.Value
}

// Snap takes a snapshot of v. It returns false when v's type holds
// pointers, interfaces or other values a snapshot cannot compare; the
// caller then encodes the value and compares hashes instead.
func Snap(v reflect.Value) (Snapshot, bool) {
	if !plain(v.Type(), 0) {
		return Snapshot{}, false
	}
	c := reflect.New(v.Type()).Elem()
	deepCopy(c, v)
	return Snapshot{copy: c}, true
}

// Unchanged reports whether v still equals the snapshot.
func (s Snapshot) Unchanged(v reflect.Value) bool {
	return s.copy.IsValid() && deepEqual(s.copy, v)
}

// plain reports whether values of t can be snapshotted.
func plain(t reflect.Type, depth int) bool {
	if depth > 16 || implementsJSON(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	case reflect.Slice, reflect.Array:
		return plain(t.Elem(), depth+1)
	case reflect.Map:
		return plain(t.Key(), depth+1) && plain(t.Elem(), depth+1)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			// Unexported fields are not encoded, so they do not matter.
			if t.Field(i).IsExported() && !plain(t.Field(i).Type, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// scalar reports whether t is a fixed-size value without pointers, so that
// its memory can be copied and compared directly.
func scalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// sliceBytes views the backing memory of a slice of scalars.
func sliceBytes(v reflect.Value) []byte {
	n := v.Len() * int(v.Type().Elem().Size())
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(v.UnsafePointer()), n)
}

func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		if scalar(src.Type().Elem()) {
			reflect.Copy(s, src)
		} else {
			for i := 0; i < src.Len(); i++ {
				deepCopy(s.Index(i), src.Index(i))
			}
		}
		dst.Set(s)
	case reflect.Array:
		for i := 0; i < src.Len(); i++ {
			deepCopy(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(src.Type().Key()).Elem()
			deepCopy(k, it.Key())
			e := reflect.New(src.Type().Elem()).Elem()
			deepCopy(e, it.Value())
			m.SetMapIndex(k, e)
		}
		dst.Set(m)
	case reflect.Struct:
		for i := 0; i < src.NumField(); i++ {
			if src.Type().Field(i).IsExported() {
				deepCopy(dst.Field(i), src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}

func deepEqual(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		if scalar(a.Type().Elem()) {
			return bytes.Equal(sliceBytes(a), sliceBytes(b))
		}
		for i := 0; i < a.Len(); i++ {
			if !deepEqual(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Array:
		for i := 0; i < a.Len(); i++ {
			if !deepEqual(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		it := a.MapRange()
		for it.Next() {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !deepEqual(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if a.Type().Field(i).IsExported() && !deepEqual(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Float32, reflect.Float64:
		// Compare bits: -0 differs from 0 (their encodings differ).
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	default:
		return a.Uint() == b.Uint()
	}
}
