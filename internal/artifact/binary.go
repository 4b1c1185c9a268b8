package artifact

import (
	"encoding/binary"
	"reflect"
	"strconv"
)

// Binary is the encoding of every artifact written by this version except
// []byte values: a self-describing, versioned binary format, documented in
// docs/datastore.md ("Artifact encodings"). Numeric slices and arrays are
// stored as their little-endian memory, so encoding one is a view of the
// slice and decoding one a single read into a new slice.
const Binary = "binary"

// binaryMagic starts every Binary-encoded value: "SFA" and the format
// version. A decoder refuses versions it does not know.
const binaryMagic = "SFA\x01"

// Value tags. Each encoded value starts with one.
const (
	tagNil    byte = 0  // nil pointer, slice, map or interface
	tagFalse  byte = 1  // bool
	tagTrue   byte = 2  // bool
	tagInt    byte = 3  // zig-zag varint
	tagUint   byte = 4  // uvarint
	tagF32    byte = 5  // 4 bytes, IEEE 754, little endian
	tagF64    byte = 6  // 8 bytes
	tagC64    byte = 7  // 2 × 4 bytes
	tagC128   byte = 8  // 2 × 8 bytes
	tagString byte = 9  // uvarint length, UTF-8 bytes
	tagArray  byte = 10 // dtype byte, uvarint count, count × size bytes, little endian
	tagList   byte = 11 // uvarint count, count values
	tagMap    byte = 12 // uvarint count, count (key, value) pairs sorted by encoded key
	tagStruct byte = 13 // uvarint count, count (uvarint name length, name, value)
	tagJSON   byte = 14 // uvarint length, JSON text (types with their own JSON or text form, interfaces)
)

// A DType is the element type of a numeric array: the dtypes of numpy's
// .npy format that Go has.
type DType byte

// The dtypes. Go's int and uint are stored as Int64 and Uint64.
const (
	Bool DType = iota + 1
	Int8
	Int16
	Int32
	Int64
	Uint8
	Uint16
	Uint32
	Uint64
	Float32
	Float64
	Complex64
	Complex128
)

var dtypes = [...]struct {
	name  string // Go element type
	descr string // numpy descr
	size  int
	kind  reflect.Kind
}{
	Bool:       {"bool", "|b1", 1, reflect.Bool},
	Int8:       {"int8", "|i1", 1, reflect.Int8},
	Int16:      {"int16", "<i2", 2, reflect.Int16},
	Int32:      {"int32", "<i4", 4, reflect.Int32},
	Int64:      {"int64", "<i8", 8, reflect.Int64},
	Uint8:      {"uint8", "|u1", 1, reflect.Uint8},
	Uint16:     {"uint16", "<u2", 2, reflect.Uint16},
	Uint32:     {"uint32", "<u4", 4, reflect.Uint32},
	Uint64:     {"uint64", "<u8", 8, reflect.Uint64},
	Float32:    {"float32", "<f4", 4, reflect.Float32},
	Float64:    {"float64", "<f8", 8, reflect.Float64},
	Complex64:  {"complex64", "<c8", 8, reflect.Complex64},
	Complex128: {"complex128", "<c16", 16, reflect.Complex128},
}

func (d DType) valid() bool { return d >= Bool && d <= Complex128 }

// String returns the Go name of the element type ("float64").
func (d DType) String() string {
	if !d.valid() {
		return "dtype(" + strconv.Itoa(int(d)) + ")"
	}
	return dtypes[d].name
}

// Size returns the size of one element in bytes.
func (d DType) Size() int { return dtypes[d].size }

// Descr returns numpy's type descriptor ("<f8").
func (d DType) Descr() string { return dtypes[d].descr }

// dtypeOf returns the dtype stored for elements of kind k.
func dtypeOf(k reflect.Kind) (DType, bool) {
	switch k {
	case reflect.Int:
		return Int64, true
	case reflect.Uint, reflect.Uintptr:
		return Uint64, true
	}
	for d := Bool; d <= Complex128; d++ {
		if dtypes[d].kind == k {
			return d, true
		}
	}
	return 0, false
}

// numericElem reports whether slices or arrays of t are stored as a
// numeric array, and as which dtype.
func numericElem(t reflect.Type) (DType, bool) {
	if implementsJSON(t) {
		return 0, false
	}
	return dtypeOf(t.Kind())
}

// littleEndian is true when memory order is the stored order, so numeric
// arrays are copied as memory.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
