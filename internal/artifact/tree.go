package artifact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
)

// A Binary-encoded value can be read without the Go type it was written
// from (by the standalone inspector, dump and export), as a tree of:
//
//	nil, bool, int64, uint64, float32, float64, complex64, complex128, string
//	*Array           a numeric slice or array
//	[]any            any other slice or array
//	*Map             a map, entries in key order
//	*Struct          a struct, fields in declaration order
//	json.RawMessage  a value stored as JSON

// Array is a numeric array: Len elements of DType, little endian, in Data.
type Array struct {
	DType DType
	Len   int
	Data  []byte
}

// Map is a map's entries, in the order of their encoded keys.
type Map struct {
	Keys, Values []any
}

// Struct is a struct's stored fields.
type Struct struct {
	Names  []string
	Values []any
}

// ReadTree reads a Binary-encoded value of size bytes from r as a tree.
func ReadTree(r io.Reader, size int64) (any, error) {
	d, err := newDecoder(r, size)
	if err != nil {
		return nil, err
	}
	tag, err := d.byte()
	if err != nil {
		return nil, err
	}
	n, err := d.tree(tag, 0)
	if err != nil {
		return nil, err
	}
	return n, d.end()
}

func (d *decoder) tree(tag byte, depth int) (any, error) { return d.walk(tag, depth, true) }

// walk reads the value starting with tag, returning it as a tree when
// keep is set and discarding it otherwise.
func (d *decoder) walk(tag byte, depth int, keep bool) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nested more than %d levels deep", ErrFormat, maxDepth)
	}
	switch tag {
	case tagNil:
		return nil, nil
	case tagFalse, tagTrue:
		return tag == tagTrue, nil
	case tagInt:
		return d.varint()
	case tagUint:
		return d.uvarint()
	case tagF32:
		u, err := d.u32()
		return math.Float32frombits(u), err
	case tagF64:
		u, err := d.u64()
		return math.Float64frombits(u), err
	case tagC64:
		re, err := d.u32()
		if err != nil {
			return nil, err
		}
		im, err := d.u32()
		return complex(math.Float32frombits(re), math.Float32frombits(im)), err
	case tagC128:
		re, err := d.u64()
		if err != nil {
			return nil, err
		}
		im, err := d.u64()
		return complex(math.Float64frombits(re), math.Float64frombits(im)), err
	case tagString, tagJSON:
		if !keep {
			n, err := d.count(1)
			if err != nil {
				return nil, err
			}
			_, err = d.r.Discard(n)
			return nil, d.eof(err)
		}
		b, err := d.bytes()
		if tag == tagJSON {
			return json.RawMessage(b), err
		}
		return string(b), err
	case tagArray:
		b, err := d.byte()
		if err != nil {
			return nil, err
		}
		dt := DType(b)
		if !dt.valid() {
			return nil, fmt.Errorf("%w: unknown dtype %d", ErrFormat, b)
		}
		n, err := d.count(dt.Size())
		if err != nil {
			return nil, err
		}
		if !keep {
			_, err = d.r.Discard(n * dt.Size())
			return nil, d.eof(err)
		}
		a := &Array{DType: dt, Len: n, Data: make([]byte, n*dt.Size())}
		return a, d.full(a.Data)
	case tagList:
		n, err := d.count(1)
		if err != nil {
			return nil, err
		}
		var l []any
		if keep {
			l = make([]any, n)
		}
		for i := range n {
			x, err := d.nextTree(depth, keep)
			if err != nil {
				return nil, err
			}
			if keep {
				l[i] = x
			}
		}
		return l, nil
	case tagMap:
		n, err := d.count(2)
		if err != nil {
			return nil, err
		}
		m := &Map{}
		for range n {
			k, err := d.nextTree(depth, keep)
			if err != nil {
				return nil, err
			}
			v, err := d.nextTree(depth, keep)
			if err != nil {
				return nil, err
			}
			if keep {
				m.Keys, m.Values = append(m.Keys, k), append(m.Values, v)
			}
		}
		return m, nil
	case tagStruct:
		n, err := d.count(2)
		if err != nil {
			return nil, err
		}
		s := &Struct{}
		for range n {
			name, err := d.bytes()
			if err != nil {
				return nil, err
			}
			v, err := d.nextTree(depth, keep)
			if err != nil {
				return nil, err
			}
			if keep {
				s.Names, s.Values = append(s.Names, string(name)), append(s.Values, v)
			}
		}
		return s, nil
	}
	return nil, fmt.Errorf("%w: unknown tag %d", ErrFormat, tag)
}

func (d *decoder) nextTree(depth int, keep bool) (any, error) {
	tag, err := d.byte()
	if err != nil {
		return nil, err
	}
	return d.walk(tag, depth+1, keep)
}

// Summary describes an artifact without its value.
type Summary struct {
	// Kind is "array" (numeric), "list", "map", "struct", "string",
	// "bytes", "scalar", "null" or "json" (a JSON-encoded artifact, or a
	// value stored as JSON).
	Kind string
	// Elem is the element type of an array ("float64").
	Elem string
	// Len is the number of elements, entries, fields or bytes; -1 when
	// unknown (JSON).
	Len int64
}

// String renders the summary: "array of 1000 float64", "map of 3 entries".
func (s Summary) String() string {
	switch s.Kind {
	case "array":
		return fmt.Sprintf("array of %d %s", s.Len, s.Elem)
	case "list":
		return fmt.Sprintf("list of %d", s.Len)
	case "map":
		return fmt.Sprintf("map of %d entries", s.Len)
	case "struct":
		return fmt.Sprintf("struct of %d fields", s.Len)
	case "string", "bytes", "file":
		return fmt.Sprintf("%s of %d bytes", s.Kind, s.Len)
	}
	return s.Kind
}

// Summarize reads only the first bytes of an encoded value of size bytes
// to tell its kind and length.
func Summarize(r io.Reader, size int64, encoding string) (Summary, error) {
	switch encoding {
	case Bytes, File:
		return Summary{Kind: encoding, Len: size}, nil
	case JSON:
		return Summary{Kind: "json", Len: -1}, nil
	case Binary:
	default:
		return Summary{}, fmt.Errorf("unknown encoding %q", encoding)
	}
	d, err := newDecoder(r, size)
	if err != nil {
		return Summary{}, err
	}
	tag, err := d.byte()
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Len: -1}
	switch tag {
	case tagNil:
		s.Kind = "null"
	case tagJSON:
		s.Kind = "json"
	case tagString:
		s.Kind = "string"
	case tagArray:
		s.Kind = "array"
		b, err := d.byte()
		if err != nil {
			return Summary{}, err
		}
		s.Elem = DType(b).String()
	case tagList:
		s.Kind = "list"
	case tagMap:
		s.Kind = "map"
	case tagStruct:
		s.Kind = "struct"
	default:
		s.Kind = "scalar"
		return s, nil
	}
	if s.Kind != "null" && s.Kind != "json" {
		n, err := d.uvarint()
		if err != nil {
			return Summary{}, err
		}
		s.Len = int64(n)
	}
	return s, nil
}

// AppendJSON appends a tree as JSON: compact, or with pretty set indented
// as json.Indent would, with arrays and lists of more than PrettyLimit
// elements shortened and NaN and ±Inf spelled out. Strict JSON has no NaN
// or ±Inf; compact JSON writes them as null.
func AppendJSON(b []byte, n any, pretty bool) ([]byte, error) {
	return appendJSON(b, n, "", pretty, nil)
}

// WriteJSON writes a tree to w as AppendJSON appends it, in pieces of
// about jsonChunk bytes: a large array is never held as text (a 256 MiB
// []float64 is 600 MB and more of JSON).
func WriteJSON(w io.Writer, n any, pretty bool) error {
	b, err := appendJSON(make([]byte, 0, 2*jsonChunk), n, "", pretty, w)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// jsonChunk is the size of the pieces WriteJSON writes.
const jsonChunk = 64 << 10

// PrettyLimit is the number of elements of an array or list that pretty
// output shows.
const PrettyLimit = 100

// appendJSON appends n to b; with w set, it writes b to w and empties it
// whenever it holds jsonChunk bytes or more between the elements of an
// array or list.
func appendJSON(b []byte, n any, indent string, pretty bool, w io.Writer) ([]byte, error) {
	in := indent + "  "
	flush := func() error {
		if w == nil || len(b) < jsonChunk {
			return nil
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		b = b[:0]
		return nil
	}
	open := func(c byte, count int) []byte {
		b = append(b, c)
		return b
	}
	sep := func(i int) {
		if i > 0 {
			b = append(b, ',')
		}
		if pretty {
			b = append(b, '\n')
			b = append(b, in...)
		}
	}
	closeWith := func(c byte, count int) {
		if pretty && count > 0 {
			b = append(b, '\n')
			b = append(b, indent...)
		}
		b = append(b, c)
	}
	more := func(i, total int) {
		if pretty && total > PrettyLimit && i == PrettyLimit {
			sep(i)
			b = append(b, fmt.Sprintf("… %d more", total-PrettyLimit)...)
		}
	}
	var err error
	switch v := n.(type) {
	case nil:
		b = append(b, "null"...)
	case bool:
		b = strconv.AppendBool(b, v)
	case int64:
		b = strconv.AppendInt(b, v, 10)
	case uint64:
		b = strconv.AppendUint(b, v, 10)
	case float32:
		b = appendFloat(b, float64(v), 32, pretty)
	case float64:
		b = appendFloat(b, v, 64, pretty)
	case complex64:
		b = appendQuoted(b, strconv.FormatComplex(complex128(v), 'g', -1, 64))
	case complex128:
		b = appendQuoted(b, strconv.FormatComplex(v, 'g', -1, 128))
	case string:
		b = appendQuoted(b, v)
	case json.RawMessage:
		if !pretty {
			return append(b, v...), nil
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, v, indent, "  "); err != nil {
			return nil, fmt.Errorf("%w: invalid JSON part: %v", ErrFormat, err)
		}
		b = append(b, buf.Bytes()...)
	case *Array:
		b = open('[', v.Len)
		size := v.DType.Size()
		for i := range v.Len {
			if pretty && i == PrettyLimit {
				break
			}
			sep(i)
			if b, err = appendJSON(b, arrayElem(v.DType, v.Data[i*size:(i+1)*size]), in, pretty, w); err != nil {
				return nil, err
			}
			if err := flush(); err != nil {
				return nil, err
			}
		}
		more(min(v.Len, PrettyLimit), v.Len)
		closeWith(']', v.Len)
	case []any:
		b = open('[', len(v))
		for i, x := range v {
			if pretty && i == PrettyLimit {
				break
			}
			sep(i)
			if b, err = appendJSON(b, x, in, pretty, w); err != nil {
				return nil, err
			}
			if err := flush(); err != nil {
				return nil, err
			}
		}
		more(min(len(v), PrettyLimit), len(v))
		closeWith(']', len(v))
	case *Map:
		b = open('{', len(v.Keys))
		for i, k := range v.Keys {
			sep(i)
			if s, ok := k.(string); ok {
				b = appendQuoted(b, s)
			} else {
				kb, err := appendJSON(nil, k, "", false, nil)
				if err != nil {
					return nil, err
				}
				b = appendQuoted(b, string(kb))
			}
			b = append(b, ':')
			if pretty {
				b = append(b, ' ')
			}
			if b, err = appendJSON(b, v.Values[i], in, pretty, w); err != nil {
				return nil, err
			}
		}
		closeWith('}', len(v.Keys))
	case *Struct:
		b = open('{', len(v.Names))
		for i, name := range v.Names {
			sep(i)
			b = appendQuoted(b, name)
			b = append(b, ':')
			if pretty {
				b = append(b, ' ')
			}
			if b, err = appendJSON(b, v.Values[i], in, pretty, w); err != nil {
				return nil, err
			}
		}
		closeWith('}', len(v.Names))
	default:
		return nil, fmt.Errorf("not a tree node: %T", n)
	}
	return b, nil
}

// arrayElem returns one element of an array as a tree scalar.
func arrayElem(dt DType, b []byte) any {
	switch dt {
	case Float32:
		return float32(elemValue(dt, b).(float64))
	case Complex64:
		return complex64(elemValue(dt, b).(complex128))
	}
	return elemValue(dt, b)
}

func appendQuoted(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// appendFloat formats f as encoding/json does; non-finite values as null,
// or with pretty as NaN, +Inf and -Inf.
func appendFloat(b []byte, f float64, bits int, pretty bool) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if !pretty {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, f, 'g', -1, bits)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
