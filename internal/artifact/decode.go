package artifact

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"unsafe"
)

// ErrFormat is wrapped by the errors of decoding data that is not a valid
// encoding (a damaged or foreign blob); a decoding error without it means
// the data does not fit the target type.
var ErrFormat = errors.New("invalid artifact data")

// Unmarshal decodes the size bytes read from r, written with the named
// encoding, into ptr, a non-nil pointer to a value of the field's type. It
// reads r to its end, so a verifying reader gets to check what it read;
// errors of r are returned wrapped. A numeric array is read straight into
// the memory of the new slice.
func Unmarshal(r io.Reader, size int64, encoding string, ptr reflect.Value) error {
	if !ptr.IsValid() || ptr.Kind() != reflect.Pointer || ptr.IsNil() {
		return fmt.Errorf("decode: need a non-nil pointer, got %v", describe(ptr))
	}
	if t := ptr.Type().Elem(); (encoding == Bytes || encoding == File) && isBytes(t) {
		// Straight into the value: no second copy of a large []byte.
		b := reflect.MakeSlice(t, int(size), int(size))
		if _, err := io.ReadFull(r, b.Bytes()); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return fmt.Errorf("%w: truncated", ErrFormat)
			}
			return err
		}
		var one [1]byte
		switch n, err := r.Read(one[:]); {
		case n > 0:
			return fmt.Errorf("%w: trailing data after the value", ErrFormat)
		case err == nil:
			// A reader may return 0, nil; read to the end.
			if n, err := io.Copy(io.Discard, r); err != nil {
				return err
			} else if n > 0 {
				return fmt.Errorf("%w: trailing data after the value", ErrFormat)
			}
		case err != io.EOF:
			return err
		}
		ptr.Elem().Set(b)
		return nil
	}
	if encoding != Binary {
		data, err := readAll(r, size)
		if err != nil {
			return err
		}
		return Decode(data, encoding, ptr)
	}
	d, err := newDecoder(r, size)
	if err != nil {
		return err
	}
	tag, err := d.byte()
	if err != nil {
		return err
	}
	if err := d.value(ptr.Elem(), tag, 0); err != nil {
		return fmt.Errorf("cannot decode into %s: %w", ptr.Type().Elem(), err)
	}
	return d.end()
}

// readAll reads r to its end into a buffer of the expected size.
func readAll(r io.Reader, size int64) ([]byte, error) {
	buf := make([]byte, 0, max(size, 0)+1) // +1: ReadAll's final read sees EOF without growing
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// decoder reads the Binary encoding.
type decoder struct {
	r     *bufio.Reader
	limit uint64 // the encoded size: no count can exceed it
}

func newDecoder(r io.Reader, size int64) (*decoder, error) {
	// A buffer no larger than the value: most artifacts are a few bytes,
	// and a fresh 64 KiB for each costs a task process page faults.
	buf := 64 << 10
	if size >= 0 && size < int64(buf) {
		buf = int(size) + 16
	}
	d := &decoder{r: bufio.NewReaderSize(r, buf), limit: uint64(max(size, 0))}
	var magic [4]byte
	if _, err := io.ReadFull(d.r, magic[:]); err != nil {
		return nil, d.eof(err)
	}
	if string(magic[:3]) != binaryMagic[:3] {
		return nil, fmt.Errorf("%w: not a binary artifact (magic %q)", ErrFormat, magic[:])
	}
	if magic[3] != binaryMagic[3] {
		return nil, fmt.Errorf("%w: binary artifact format version %d; this program reads version %d (use a newer stepflow)", ErrFormat, magic[3], binaryMagic[3])
	}
	return d, nil
}

func (d *decoder) eof(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: truncated", ErrFormat)
	}
	return err
}

// end checks that the value was the whole input, reading r to its end.
func (d *decoder) end() error {
	switch _, err := d.r.ReadByte(); {
	case err == io.EOF:
		return nil
	case err != nil:
		return err
	default:
		return fmt.Errorf("%w: trailing data after the value", ErrFormat)
	}
}

func (d *decoder) byte() (byte, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, d.eof(err)
	}
	return b, nil
}

func (d *decoder) uvarint() (uint64, error) {
	n, err := binary.ReadUvarint(d.r)
	if err != nil {
		return 0, d.eof(err)
	}
	return n, nil
}

func (d *decoder) varint() (int64, error) {
	n, err := binary.ReadVarint(d.r)
	if err != nil {
		return 0, d.eof(err)
	}
	return n, nil
}

// count reads a length of elements of at least elemSize bytes each.
func (d *decoder) count(elemSize int) (int, error) {
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if n > d.limit/uint64(max(elemSize, 1)) {
		return 0, fmt.Errorf("%w: length %d exceeds the data's size", ErrFormat, n)
	}
	return int(n), nil
}

func (d *decoder) full(b []byte) error {
	_, err := io.ReadFull(d.r, b)
	return d.eof(err)
}

func (d *decoder) bytes() ([]byte, error) {
	n, err := d.count(1)
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	return b, d.full(b)
}

func (d *decoder) u32() (uint32, error) {
	var b [4]byte
	err := d.full(b[:])
	return binary.LittleEndian.Uint32(b[:]), err
}

func (d *decoder) u64() (uint64, error) {
	var b [8]byte
	err := d.full(b[:])
	return binary.LittleEndian.Uint64(b[:]), err
}

func tagName(tag byte) string {
	switch tag {
	case tagNil:
		return "null"
	case tagFalse, tagTrue:
		return "a bool"
	case tagInt:
		return "an integer"
	case tagUint:
		return "an unsigned integer"
	case tagF32, tagF64:
		return "a float"
	case tagC64, tagC128:
		return "a complex number"
	case tagString:
		return "a string"
	case tagArray:
		return "a numeric array"
	case tagList:
		return "a list"
	case tagMap:
		return "a map"
	case tagStruct:
		return "a struct"
	case tagJSON:
		return "a JSON value"
	}
	return fmt.Sprintf("tag %d", tag)
}

// value decodes the value starting with tag into v, which is settable.
func (d *decoder) value(v reflect.Value, tag byte, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested more than %d levels deep", ErrFormat, maxDepth)
	}
	t := v.Type()
	mismatch := func() error { return fmt.Errorf("stored %s does not fit %s", tagName(tag), t) }
	switch tag {
	case tagNil:
		v.SetZero()
		return nil
	case tagJSON:
		data, err := d.bytes()
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, v.Addr().Interface()); err != nil {
			return fmt.Errorf("JSON into %s: %s", t, explain(err))
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.value(v.Elem(), tag, depth+1)
	case reflect.Interface:
		// Interfaces are stored as JSON; a value stored from a concrete type
		// decodes as its JSON form would.
		n, err := d.tree(tag, depth)
		if err != nil {
			return err
		}
		data, err := appendJSON(nil, n, "", false, nil)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, v.Addr().Interface()); err != nil {
			return fmt.Errorf("JSON into %s: %s", t, explain(err))
		}
		return nil
	case reflect.Bool:
		if tag != tagTrue && tag != tagFalse {
			return mismatch()
		}
		v.SetBool(tag == tagTrue)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var x int64
		switch tag {
		case tagInt:
			n, err := d.varint()
			if err != nil {
				return err
			}
			x = n
		case tagUint:
			n, err := d.uvarint()
			if err != nil {
				return err
			}
			if n > math.MaxInt64 {
				return fmt.Errorf("%d overflows %s", n, t)
			}
			x = int64(n)
		default:
			return mismatch()
		}
		if v.OverflowInt(x) {
			return fmt.Errorf("%d overflows %s", x, t)
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		var x uint64
		switch tag {
		case tagUint:
			n, err := d.uvarint()
			if err != nil {
				return err
			}
			x = n
		case tagInt:
			n, err := d.varint()
			if err != nil {
				return err
			}
			if n < 0 {
				return fmt.Errorf("%d overflows %s", n, t)
			}
			x = uint64(n)
		default:
			return mismatch()
		}
		if v.OverflowUint(x) {
			return fmt.Errorf("%d overflows %s", x, t)
		}
		v.SetUint(x)
	case reflect.Float32, reflect.Float64:
		var f float64
		switch tag {
		case tagF32:
			u, err := d.u32()
			if err != nil {
				return err
			}
			f = float64(math.Float32frombits(u))
		case tagF64:
			u, err := d.u64()
			if err != nil {
				return err
			}
			f = math.Float64frombits(u)
		case tagInt:
			n, err := d.varint()
			if err != nil {
				return err
			}
			f = float64(n)
		case tagUint:
			n, err := d.uvarint()
			if err != nil {
				return err
			}
			f = float64(n)
		default:
			return mismatch()
		}
		v.SetFloat(f)
	case reflect.Complex64, reflect.Complex128:
		switch tag {
		case tagC64:
			re, err := d.u32()
			if err != nil {
				return err
			}
			im, err := d.u32()
			if err != nil {
				return err
			}
			v.SetComplex(complex(float64(math.Float32frombits(re)), float64(math.Float32frombits(im))))
		case tagC128:
			re, err := d.u64()
			if err != nil {
				return err
			}
			im, err := d.u64()
			if err != nil {
				return err
			}
			v.SetComplex(complex(math.Float64frombits(re), math.Float64frombits(im)))
		default:
			return mismatch()
		}
	case reflect.String:
		if tag != tagString {
			return mismatch()
		}
		b, err := d.bytes()
		if err != nil {
			return err
		}
		v.SetString(unsafe.String(unsafe.SliceData(b), len(b))) // b is not used again
	case reflect.Slice, reflect.Array:
		return d.sequence(v, tag, depth)
	case reflect.Map:
		if tag != tagMap {
			return mismatch()
		}
		n, err := d.count(2)
		if err != nil {
			return err
		}
		m := reflect.MakeMapWithSize(t, n)
		for range n {
			k := reflect.New(t.Key()).Elem()
			if err := d.next(k, depth); err != nil {
				return fmt.Errorf("map key: %w", err)
			}
			e := reflect.New(t.Elem()).Elem()
			if err := d.next(e, depth); err != nil {
				return fmt.Errorf("map value: %w", err)
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		if tag != tagStruct {
			return mismatch()
		}
		n, err := d.count(2)
		if err != nil {
			return err
		}
		fs := fieldsOf(t)
		v.SetZero()
		for range n {
			name, err := d.bytes()
			if err != nil {
				return err
			}
			i, ok := fs.byName[string(name)]
			if !ok {
				// A field the type no longer has.
				if err := d.skip(depth); err != nil {
					return err
				}
				continue
			}
			if err := d.next(v.Field(i), depth); err != nil {
				return fmt.Errorf("field %s: %w", t.Field(i).Name, err)
			}
		}
	default:
		return mismatch()
	}
	return nil
}

// next decodes the next value into v.
func (d *decoder) next(v reflect.Value, depth int) error {
	tag, err := d.byte()
	if err != nil {
		return err
	}
	return d.value(v, tag, depth+1)
}

// sequence decodes a list or numeric array into a slice or array.
func (d *decoder) sequence(v reflect.Value, tag byte, depth int) error {
	t := v.Type()
	var n int
	var dt DType
	switch tag {
	case tagArray:
		b, err := d.byte()
		if err != nil {
			return err
		}
		if dt = DType(b); !dt.valid() {
			return fmt.Errorf("%w: unknown dtype %d", ErrFormat, b)
		}
		if n, err = d.count(dt.Size()); err != nil {
			return err
		}
	case tagList:
		var err error
		if n, err = d.count(1); err != nil {
			return err
		}
	default:
		return fmt.Errorf("stored %s does not fit %s", tagName(tag), t)
	}
	if v.Kind() == reflect.Array {
		if n != v.Len() {
			return fmt.Errorf("stored %d elements do not fit %s", n, t)
		}
	} else {
		v.Set(reflect.MakeSlice(t, n, n))
	}
	if tag == tagArray {
		return d.array(v, dt, n)
	}
	for i := range n {
		if err := d.next(v.Index(i), depth); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	return nil
}

// array reads n elements of dtype dt into v (a slice of length n or an
// addressable array): as memory when the layout matches, else converting
// element by element (an []int32 artifact read into []int64, a platform
// whose int is 32 bits, a big-endian machine).
func (d *decoder) array(v reflect.Value, dt DType, n int) error {
	et := v.Type().Elem()
	want, ok := numericElem(et)
	if !ok {
		if et.Kind() != reflect.Interface {
			return fmt.Errorf("stored %s array does not fit %s", dt, v.Type())
		}
	}
	if n == 0 {
		return nil
	}
	size := dt.Size()
	if ok && want == dt && littleEndian && int(et.Size()) == size {
		var p unsafe.Pointer
		if v.Kind() == reflect.Slice {
			p = v.UnsafePointer()
		} else {
			p = v.Addr().UnsafePointer()
		}
		return d.full(unsafe.Slice((*byte)(p), n*size))
	}
	buf := make([]byte, min(n, 8192)*size)
	for i := 0; i < n; {
		c := buf[:min(n-i, len(buf)/size)*size]
		if err := d.full(c); err != nil {
			return err
		}
		for off := 0; off < len(c); off, i = off+size, i+1 {
			if err := setElem(v.Index(i), dt, c[off:off+size]); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
	}
	return nil
}

// setElem sets x from one stored element b of dtype dt.
func setElem(x reflect.Value, dt DType, b []byte) error {
	val := elemValue(dt, b)
	switch x.Kind() {
	case reflect.Interface:
		x.Set(reflect.ValueOf(val))
		return nil
	case reflect.Bool:
		if bv, ok := val.(bool); ok {
			x.SetBool(bv)
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch n := val.(type) {
		case int64:
			if !x.OverflowInt(n) {
				x.SetInt(n)
				return nil
			}
		case uint64:
			if n <= math.MaxInt64 && !x.OverflowInt(int64(n)) {
				x.SetInt(int64(n))
				return nil
			}
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		switch n := val.(type) {
		case uint64:
			if !x.OverflowUint(n) {
				x.SetUint(n)
				return nil
			}
		case int64:
			if n >= 0 && !x.OverflowUint(uint64(n)) {
				x.SetUint(uint64(n))
				return nil
			}
		}
	case reflect.Float32, reflect.Float64:
		switch n := val.(type) {
		case float64:
			x.SetFloat(n)
			return nil
		case int64:
			x.SetFloat(float64(n))
			return nil
		case uint64:
			x.SetFloat(float64(n))
			return nil
		}
	case reflect.Complex64, reflect.Complex128:
		if c, ok := val.(complex128); ok {
			x.SetComplex(c)
			return nil
		}
	}
	return fmt.Errorf("stored %s %v does not fit %s", dt, val, x.Type())
}

// elemValue returns one stored element as bool, int64, uint64, float64 or
// complex128.
func elemValue(dt DType, b []byte) any {
	le := binary.LittleEndian
	switch dt {
	case Bool:
		return b[0] != 0
	case Int8:
		return int64(int8(b[0]))
	case Int16:
		return int64(int16(le.Uint16(b)))
	case Int32:
		return int64(int32(le.Uint32(b)))
	case Int64:
		return int64(le.Uint64(b))
	case Uint8:
		return uint64(b[0])
	case Uint16:
		return uint64(le.Uint16(b))
	case Uint32:
		return uint64(le.Uint32(b))
	case Uint64:
		return le.Uint64(b)
	case Float32:
		return float64(math.Float32frombits(le.Uint32(b)))
	case Float64:
		return math.Float64frombits(le.Uint64(b))
	case Complex64:
		return complex(float64(math.Float32frombits(le.Uint32(b))), float64(math.Float32frombits(le.Uint32(b[4:]))))
	default:
		return complex(math.Float64frombits(le.Uint64(b)), math.Float64frombits(le.Uint64(b[8:])))
	}
}

// skip reads past the next value.
func (d *decoder) skip(depth int) error {
	tag, err := d.byte()
	if err != nil {
		return err
	}
	_, err = d.walk(tag, depth+1, false)
	return err
}
