package artifact

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// Encoded is an encoded artifact as a sequence of parts. Small values are
// buffered; large numeric arrays, strings and byte slices are views of the
// value's own memory, so encoding a 256 MiB []float64 copies nothing. The
// parts are valid while the encoded value is not modified.
type Encoded struct {
	Encoding string   // Binary or Bytes
	Parts    [][]byte // the encoded bytes, in order
	Size     int64    // total length of Parts
}

// Reader returns a reader of the encoded bytes.
func (e *Encoded) Reader() io.Reader {
	rs := make([]io.Reader, len(e.Parts))
	for i, p := range e.Parts {
		rs[i] = bytes.NewReader(p)
	}
	return io.MultiReader(rs...)
}

// Bytes returns the encoded bytes as one slice (a copy when there are
// several parts).
func (e *Encoded) Bytes() []byte {
	if len(e.Parts) == 1 {
		return e.Parts[0]
	}
	return bytes.Join(e.Parts, nil)
}

// viewMin is the length from which a byte range of the value is referenced
// rather than copied into the buffer.
const viewMin = 16 << 10

// maxDepth bounds nesting, which also stops pointer cycles.
const maxDepth = 1000

// Marshal encodes v (a field value of the flow state) for storage: a
// []byte-kinded value as its raw bytes ("bytes"), anything else in the
// Binary encoding. The error names the Go type and the reason (for example
// a channel or a func); the caller adds the artifact name.
func Marshal(v reflect.Value) (*Encoded, error) {
	if !v.IsValid() {
		return nil, errors.New("cannot encode an invalid (zero) reflect.Value")
	}
	t := v.Type()
	if isBytes(t) {
		b := v.Bytes()
		return &Encoded{Encoding: Bytes, Parts: [][]byte{b}, Size: int64(len(b))}, nil
	}
	e := &encoder{views: true}
	e.buf = append(e.buf, binaryMagic...)
	if err := e.value(v, 0); err != nil {
		return nil, fmt.Errorf("cannot encode %s: %w", t, err)
	}
	e.flush()
	return &Encoded{Encoding: Binary, Parts: e.parts, Size: e.size}, nil
}

// encoder appends a value's Binary encoding to its parts.
type encoder struct {
	parts [][]byte
	buf   []byte
	size  int64
	views bool // reference large byte ranges instead of copying them
}

func (e *encoder) flush() {
	if len(e.buf) > 0 {
		e.parts = append(e.parts, e.buf)
		e.size += int64(len(e.buf))
		e.buf = nil
	}
}

// raw appends b, as a view when it is large.
func (e *encoder) raw(b []byte) {
	if e.views && len(b) >= viewMin {
		e.flush()
		e.parts = append(e.parts, b)
		e.size += int64(len(b))
		return
	}
	e.buf = append(e.buf, b...)
}

func (e *encoder) uvarint(n int) { e.buf = binary.AppendUvarint(e.buf, uint64(n)) }

func (e *encoder) value(v reflect.Value, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("it nests more than %d levels deep (a pointer cycle?)", maxDepth)
	}
	t := v.Type()
	if IsLazy(t) || IsFile(t) {
		return fmt.Errorf("%s is only stored as a field of the flow state itself, not inside another value", t)
	}
	if implementsJSON(t) {
		if nilable(v.Kind()) && v.IsNil() {
			e.buf = append(e.buf, tagNil)
			return nil
		}
		return e.json(v)
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			e.buf = append(e.buf, tagTrue)
		} else {
			e.buf = append(e.buf, tagFalse)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = binary.AppendVarint(append(e.buf, tagInt), v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf = binary.AppendUvarint(append(e.buf, tagUint), v.Uint())
	case reflect.Float32:
		e.buf = binary.LittleEndian.AppendUint32(append(e.buf, tagF32), math.Float32bits(float32(v.Float())))
	case reflect.Float64:
		e.buf = binary.LittleEndian.AppendUint64(append(e.buf, tagF64), math.Float64bits(v.Float()))
	case reflect.Complex64:
		c := v.Complex()
		e.buf = binary.LittleEndian.AppendUint32(append(e.buf, tagC64), math.Float32bits(float32(real(c))))
		e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(float32(imag(c))))
	case reflect.Complex128:
		c := v.Complex()
		e.buf = binary.LittleEndian.AppendUint64(append(e.buf, tagC128), math.Float64bits(real(c)))
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(imag(c)))
	case reflect.String:
		s := v.String()
		e.buf = append(e.buf, tagString)
		e.uvarint(len(s))
		e.raw(unsafe.Slice(unsafe.StringData(s), len(s)))
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			e.buf = append(e.buf, tagNil)
			return nil
		}
		if d, ok := numericElem(t.Elem()); ok {
			e.array(d, v)
			return nil
		}
		e.buf = append(e.buf, tagList)
		e.uvarint(v.Len())
		for i := range v.Len() {
			if err := e.value(v.Index(i), depth+1); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
	case reflect.Map:
		if v.IsNil() {
			e.buf = append(e.buf, tagNil)
			return nil
		}
		return e.mapValue(v, depth)
	case reflect.Struct:
		fs := fieldsOf(t)
		if fs.json {
			return e.json(v)
		}
		e.buf = append(e.buf, tagStruct)
		e.uvarint(len(fs.list))
		for _, f := range fs.list {
			e.uvarint(len(f.name))
			e.buf = append(e.buf, f.name...)
			if err := e.value(v.Field(f.index), depth+1); err != nil {
				return fmt.Errorf("field %s: %w", t.Field(f.index).Name, err)
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			e.buf = append(e.buf, tagNil)
			return nil
		}
		return e.value(v.Elem(), depth+1)
	case reflect.Interface:
		if v.IsNil() {
			e.buf = append(e.buf, tagNil)
			return nil
		}
		return e.json(v)
	default:
		return fmt.Errorf("%s values (%s) cannot be stored; keep them out of the flow state or give the type a MarshalJSON method", v.Kind(), t)
	}
	return nil
}

func nilable(k reflect.Kind) bool {
	switch k {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		return true
	}
	return false
}

// array appends a numeric slice or array: its memory when the layout
// matches the stored one, else element by element.
func (e *encoder) array(d DType, v reflect.Value) {
	n := v.Len()
	e.buf = append(e.buf, tagArray, byte(d))
	e.uvarint(n)
	if n == 0 {
		return
	}
	size := d.Size()
	if littleEndian && int(v.Type().Elem().Size()) == size && (v.Kind() == reflect.Slice || v.CanAddr()) {
		var p unsafe.Pointer
		if v.Kind() == reflect.Slice {
			p = v.UnsafePointer()
		} else {
			p = v.Addr().UnsafePointer()
		}
		e.raw(unsafe.Slice((*byte)(p), n*size))
		return
	}
	for i := range n {
		e.buf = appendElem(e.buf, d, v.Index(i))
	}
}

// appendElem appends one numeric element in its stored form.
func appendElem(b []byte, d DType, x reflect.Value) []byte {
	le := binary.LittleEndian
	switch d {
	case Bool:
		if x.Bool() {
			return append(b, 1)
		}
		return append(b, 0)
	case Int8:
		return append(b, byte(x.Int()))
	case Int16:
		return le.AppendUint16(b, uint16(x.Int()))
	case Int32:
		return le.AppendUint32(b, uint32(x.Int()))
	case Int64:
		return le.AppendUint64(b, uint64(x.Int()))
	case Uint8:
		return append(b, byte(x.Uint()))
	case Uint16:
		return le.AppendUint16(b, uint16(x.Uint()))
	case Uint32:
		return le.AppendUint32(b, uint32(x.Uint()))
	case Uint64:
		return le.AppendUint64(b, x.Uint())
	case Float32:
		return le.AppendUint32(b, math.Float32bits(float32(x.Float())))
	case Float64:
		return le.AppendUint64(b, math.Float64bits(x.Float()))
	case Complex64:
		c := x.Complex()
		b = le.AppendUint32(b, math.Float32bits(float32(real(c))))
		return le.AppendUint32(b, math.Float32bits(float32(imag(c))))
	default: // Complex128
		c := x.Complex()
		b = le.AppendUint64(b, math.Float64bits(real(c)))
		return le.AppendUint64(b, math.Float64bits(imag(c)))
	}
}

// mapValue appends a map with its entries sorted by encoded key, so the
// encoding of a value is deterministic.
func (e *encoder) mapValue(v reflect.Value, depth int) error {
	type entry struct {
		key []byte
		val reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	it := v.MapRange()
	for it.Next() {
		ke := &encoder{}
		if err := ke.value(it.Key(), depth+1); err != nil {
			return fmt.Errorf("map key: %w", err)
		}
		entries = append(entries, entry{ke.buf, it.Value()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
	e.buf = append(e.buf, tagMap)
	e.uvarint(len(entries))
	for _, en := range entries {
		e.buf = append(e.buf, en.key...)
		if err := e.value(en.val, depth+1); err != nil {
			return fmt.Errorf("map value: %w", err)
		}
	}
	return nil
}

// json appends v as JSON: for types that define their own JSON or text
// form (time.Time, ...) and for interface values, whose dynamic types a
// decoder cannot know.
func (e *encoder) json(v reflect.Value) error {
	x := v.Interface()
	if v.CanAddr() && v.Kind() != reflect.Interface && reflect.PointerTo(v.Type()).Implements(jsonMarshaler) {
		x = v.Addr().Interface()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return errors.New(explain(err))
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	e.buf = append(e.buf, tagJSON)
	e.uvarint(len(data))
	e.buf = append(e.buf, data...)
	return nil
}

// structFields are the stored fields of a struct type.
type structFields struct {
	list   []field
	byName map[string]int // stored name -> field index
	json   bool           // stored as JSON: it embeds other types
}

type field struct {
	name  string // the JSON name: the json tag's name, else the Go name
	index int
}

// fieldCache holds structFields by type; like encoding/json's, it only
// memoises a pure function of the type.
var fieldCache sync.Map // reflect.Type -> *structFields

// fieldsOf returns the fields of struct type t that are stored, as
// encoding/json would: exported, not tagged "-", named by their json tag.
// A struct with embedded fields is stored as JSON, which flattens them.
func fieldsOf(t reflect.Type) *structFields {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*structFields)
	}
	fs := &structFields{byName: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			fs.json = true
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name := f.Name
		if n, _, _ := strings.Cut(tag, ","); n != "" {
			name = n
		}
		fs.list = append(fs.list, field{name, i})
		fs.byName[name] = i
	}
	v, _ := fieldCache.LoadOrStore(t, fs)
	return v.(*structFields)
}
