package artifact

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"reflect"
	"unsafe"
)

// A Snapshot remembers a value as it was loaded, so that after a step runs
// Unchanged can tell whether the step modified it without encoding it
// again. Snapshots exist for plain data: booleans, numbers, strings, and
// slices, arrays, structs and maps made of them. A snapshot is a 64-bit
// digest (hash/maphash) of the value, not a copy, so an inherited 256 MiB
// slice costs no second 256 MiB; slices of numbers are hashed as memory, at
// several GB/s. Two different values share a digest with probability
// 2^-64, and then the step's change would not be stored.
type Snapshot struct {
	seed   maphash.Seed
	digest uint64
	ok     bool
}

// Snap takes a snapshot of v. It returns false when v's type holds
// pointers, interfaces or other values a snapshot cannot compare; the
// caller then encodes the value and compares hashes instead.
func Snap(v reflect.Value) (Snapshot, bool) {
	if !plain(v.Type(), 0) {
		return Snapshot{}, false
	}
	s := Snapshot{seed: maphash.MakeSeed(), ok: true}
	s.digest = s.sum(v)
	return s, true
}

// Unchanged reports whether v still equals the snapshot.
func (s Snapshot) Unchanged(v reflect.Value) bool {
	return s.ok && s.sum(v) == s.digest
}

func (s Snapshot) sum(v reflect.Value) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	s.write(&h, v)
	return h.Sum64()
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

// sliceBytes views the backing memory of a slice of scalars, or of an
// addressable array of them.
func sliceBytes(v reflect.Value) []byte {
	n := v.Len() * int(v.Type().Elem().Size())
	if n == 0 {
		return nil
	}
	if v.Kind() == reflect.Array {
		return unsafe.Slice((*byte)(v.Addr().UnsafePointer()), n)
	}
	return unsafe.Slice((*byte)(v.UnsafePointer()), n)
}

// write feeds v to h: lengths and nil-ness as well as contents, so that
// values that differ give different streams.
func (s Snapshot) write(h *maphash.Hash, v reflect.Value) {
	var b [8]byte
	u64 := func(x uint64) {
		binary.LittleEndian.PutUint64(b[:], x)
		h.Write(b[:])
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice {
			if v.IsNil() {
				h.WriteByte(0)
				return
			}
			h.WriteByte(1)
		}
		u64(uint64(v.Len()))
		if scalar(v.Type().Elem()) && (v.Kind() == reflect.Slice || v.CanAddr()) {
			h.Write(sliceBytes(v))
			return
		}
		for i := 0; i < v.Len(); i++ {
			s.write(h, v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			h.WriteByte(0)
			return
		}
		h.WriteByte(1)
		u64(uint64(v.Len()))
		// Entries in any order: add up their digests.
		var sum uint64
		it := v.MapRange()
		for it.Next() {
			var eh maphash.Hash
			eh.SetSeed(s.seed)
			s.write(&eh, it.Key())
			s.write(&eh, it.Value())
			sum += eh.Sum64()
		}
		u64(sum)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				s.write(h, v.Field(i))
			}
		}
	case reflect.Float32, reflect.Float64:
		// Bits: -0 differs from 0 (their encodings differ).
		u64(math.Float64bits(v.Float()))
	case reflect.String:
		u64(uint64(v.Len()))
		h.WriteString(v.String())
	case reflect.Bool:
		if v.Bool() {
			h.WriteByte(1)
		} else {
			h.WriteByte(0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		u64(uint64(v.Int()))
	default:
		u64(v.Uint())
	}
}
