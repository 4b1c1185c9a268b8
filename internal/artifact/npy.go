package artifact

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// NPY describes a tree node that is an N-dimensional numeric array: a
// numeric slice, or slices of them nested to any depth with equal lengths
// at each level ([][]float64 of rows of one length).
type NPY struct {
	DType DType
	Shape []int
	parts [][]byte // the elements, in row-major order
}

// AsNPY returns the array n holds, or false when n is not a rectangular
// numeric array (a ragged [][]float64, an empty list, a struct, ...).
func AsNPY(n any) (*NPY, bool) {
	switch v := n.(type) {
	case *Array:
		return &NPY{DType: v.DType, Shape: []int{v.Len}, parts: [][]byte{v.Data}}, true
	case []any:
		if len(v) == 0 {
			return nil, false
		}
		var out *NPY
		for _, x := range v {
			sub, ok := AsNPY(x)
			if !ok {
				return nil, false
			}
			if out == nil {
				out = &NPY{DType: sub.DType, Shape: append([]int{len(v)}, sub.Shape...)}
			} else if sub.DType != out.DType || !equalInts(sub.Shape, out.Shape[1:]) {
				return nil, false
			}
			out.parts = append(out.parts, sub.parts...)
		}
		return out, true
	}
	return nil, false
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// WriteTo writes the array in numpy's .npy format, version 1.0: the magic,
// a header giving dtype, order and shape, padded so the data starts at a
// multiple of 64 bytes, then the little-endian elements. numpy.load reads
// it.
func (a *NPY) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(a.header())
	total := int64(n)
	if err != nil {
		return total, err
	}
	for _, p := range a.parts {
		n, err := w.Write(p)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Reader returns a reader of what WriteTo writes, reading the elements
// where they are, without a copy.
func (a *NPY) Reader() io.Reader {
	rs := []io.Reader{bytes.NewReader(a.header())}
	for _, p := range a.parts {
		rs = append(rs, bytes.NewReader(p))
	}
	return io.MultiReader(rs...)
}

// Size returns the number of bytes WriteTo writes.
func (a *NPY) Size() int64 {
	n := int64(len(a.header()))
	for _, p := range a.parts {
		n += int64(len(p))
	}
	return n
}

// header returns the magic, the version, the header's length and the
// header, padded so the data starts at a multiple of 64 bytes.
func (a *NPY) header() []byte {
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", a.DType.Descr(), shape)
	const pre = 10 // magic (6), version (2), header length (2)
	pad := 64 - (pre+len(header)+1)%64
	if pad == 64 {
		pad = 0
	}
	header += strings.Repeat(" ", pad) + "\n"
	buf := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(buf[8:], uint16(len(header)))
	return append(buf, header...)
}
