package artifact_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stepflow/stepflow/internal/artifact"
)

func binaryRoundTrip[T any](t *testing.T, v T) (T, *artifact.Encoded) {
	t.Helper()
	enc, err := artifact.Marshal(reflect.ValueOf(&v).Elem())
	if err != nil {
		t.Fatalf("Marshal(%T): %v", v, err)
	}
	var got T
	if err := artifact.Unmarshal(enc.Reader(), enc.Size, enc.Encoding, reflect.ValueOf(&got)); err != nil {
		t.Fatalf("Unmarshal(%T): %v", v, err)
	}
	return got, enc
}

type table struct {
	ID     []int64
	Score  []float32
	Names  []string
	Flags  []bool
	Matrix [][]float64
	Label  string `json:"label"`
	Skip   int    `json:"-"`
	hidden int
}

func TestBinaryRoundTrip(t *testing.T) {
	check := func(name string, v, got any) {
		t.Helper()
		if !reflect.DeepEqual(v, got) {
			t.Errorf("%s: got %#v, want %#v", name, got, v)
		}
	}
	{
		v := []int8{-128, 0, 127}
		got, enc := binaryRoundTrip(t, v)
		check("int8", v, got)
		if enc.Encoding != artifact.Binary {
			t.Errorf("encoding %s", enc.Encoding)
		}
	}
	{
		g1, _ := binaryRoundTrip(t, []int16{-1, 300})
		check("int16", []int16{-1, 300}, g1)
		g2, _ := binaryRoundTrip(t, []int32{math.MinInt32})
		check("int32", []int32{math.MinInt32}, g2)
		g3, _ := binaryRoundTrip(t, []int{math.MaxInt64, -5})
		check("int", []int{math.MaxInt64, -5}, g3)
		g4, _ := binaryRoundTrip(t, []uint16{65535})
		check("uint16", []uint16{65535}, g4)
		g5, _ := binaryRoundTrip(t, []uint64{math.MaxUint64})
		check("uint64", []uint64{math.MaxUint64}, g5)
		g6, _ := binaryRoundTrip(t, []uint{7})
		check("uint", []uint{7}, g6)
		g7, _ := binaryRoundTrip(t, []complex128{1 + 2i})
		check("complex128", []complex128{1 + 2i}, g7)
		g8, _ := binaryRoundTrip(t, [3]uint32{1, 2, 3})
		check("array", [3]uint32{1, 2, 3}, g8)
		g9, _ := binaryRoundTrip(t, [][]float64{{1, 2}, nil, {}})
		check("nested", [][]float64{{1, 2}, nil, {}}, g9)
		g10, _ := binaryRoundTrip(t, [][][]int32{{{1}, {2, 3}}})
		check("nested3", [][][]int32{{{1}, {2, 3}}}, g10)
	}
	{
		v := table{ID: []int64{1, 2}, Score: []float32{0.5, float32(math.Inf(1))}, Names: []string{"a", ""},
			Flags: []bool{true, false}, Matrix: [][]float64{{math.NaN()}}, Label: "x", Skip: 3, hidden: 4}
		got, _ := binaryRoundTrip(t, v)
		if !math.IsNaN(got.Matrix[0][0]) {
			t.Errorf("NaN lost: %v", got.Matrix)
		}
		v.Matrix, got.Matrix = nil, nil
		v.Skip, v.hidden = 0, 0
		check("struct of slices", v, got)
	}
	{
		v := map[string][]float64{"b": {1}, "a": nil}
		got, _ := binaryRoundTrip(t, v)
		check("map", v, got)
		k := map[[2]int]string{{1, 2}: "x"}
		gk, _ := binaryRoundTrip(t, k)
		check("array-keyed map", k, gk)
	}
	{
		v := state{Count: 3, Names: []string{"a", "b"}, Scores: map[string]float64{"z": 1, "a": 2.5},
			When: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), Points: []point{{X: 1, Y: 2, Label: "<p>"}},
			Raw: []byte{1, 2}, Next: &state{Count: 1}, Any: "x"}
		got, _ := binaryRoundTrip(t, v)
		check("state", v, got)
	}
	{
		v := "héllo"
		got, _ := binaryRoundTrip(t, v)
		check("string", v, got)
		var nilp *int
		gp, _ := binaryRoundTrip(t, nilp)
		check("nil pointer", nilp, gp)
		x := 5
		gx, _ := binaryRoundTrip(t, &x)
		check("pointer", &x, gx)
		ga, _ := binaryRoundTrip(t, any(map[string]any{"a": 1.0}))
		check("interface", any(map[string]any{"a": 1.0}), ga)
	}
}

// TestBinaryViews: a large numeric slice is encoded as a view of its
// memory, and decoding converts widths when the type changed.
func TestBinaryViews(t *testing.T) {
	v := make([]float64, 1<<16)
	enc, err := artifact.Marshal(reflect.ValueOf(v))
	if err != nil {
		t.Fatal(err)
	}
	shared := false
	for _, p := range enc.Parts {
		if len(p) == len(v)*8 && unsafe.Pointer(&p[0]) == unsafe.Pointer(&v[0]) {
			shared = true
		}
	}
	if !shared || enc.Size != int64(len(v)*8+4+1+1+3) {
		t.Errorf("parts %d, size %d: the slice's memory is not one part", len(enc.Parts), enc.Size)
	}

	enc, _ = artifact.Marshal(reflect.ValueOf([]int32{-7, 1 << 30}))
	var wide []int64
	if err := artifact.Unmarshal(enc.Reader(), enc.Size, enc.Encoding, reflect.ValueOf(&wide)); err != nil || !reflect.DeepEqual(wide, []int64{-7, 1 << 30}) {
		t.Errorf("[]int32 into []int64: %v %v", wide, err)
	}
	var narrow []int8
	if err := artifact.Unmarshal(enc.Reader(), enc.Size, enc.Encoding, reflect.ValueOf(&narrow)); err == nil || !strings.Contains(err.Error(), "does not fit int8") {
		t.Errorf("overflowing []int8: %v", err)
	}
	var s string
	if err := artifact.Unmarshal(enc.Reader(), enc.Size, enc.Encoding, reflect.ValueOf(&s)); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("array into string: %v", err)
	}
}

func TestBinaryDeterministic(t *testing.T) {
	m := map[string]int{}
	for i := range 100 {
		m[strings.Repeat("k", i%7)+string(rune('a'+i%26))] = i
	}
	a, _ := artifact.Marshal(reflect.ValueOf(m))
	for range 5 {
		b, _ := artifact.Marshal(reflect.ValueOf(m))
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatal("map encoding differs between calls")
		}
	}
}

func TestBinaryCorrupt(t *testing.T) {
	enc, _ := artifact.Marshal(reflect.ValueOf([]float64{1, 2, 3}))
	data := enc.Bytes()
	var out []float64
	for name, bad := range map[string][]byte{
		"truncated": data[:len(data)-3],
		"trailing":  append(append([]byte(nil), data...), 0),
		"magic":     append([]byte("XXXX"), data[4:]...),
		"huge":      append(append([]byte(nil), data[:6]...), 0xff, 0xff, 0xff, 0xff, 0x0f),
	} {
		err := artifact.Unmarshal(bytes.NewReader(bad), int64(len(bad)), artifact.Binary, reflect.ValueOf(&out))
		if !errors.Is(err, artifact.ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", name, err)
		}
	}
	future := append([]byte("SFA\x09"), data[4:]...)
	if err := artifact.Unmarshal(bytes.NewReader(future), int64(len(future)), artifact.Binary, reflect.ValueOf(&out)); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Errorf("future version: %v", err)
	}
}

// TestBinaryPretty: the inspector's rendering of a binary artifact is the
// indented JSON encoding/json would give, so dumps read as before.
func TestBinaryPretty(t *testing.T) {
	for _, v := range []any{
		table{ID: []int64{1}, Score: []float32{0.1, 1e-7}, Names: []string{"<a>"}, Matrix: [][]float64{{1.5, 1e21}, {}}},
		map[int]string{2: "b", 1: "a"},
		[]string{},
		struct{ T time.Time }{time.Unix(0, 0).UTC()},
		3.25,
	} {
		enc, err := artifact.Marshal(reflect.ValueOf(v))
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		j, _ := json.Marshal(v)
		json.Indent(&want, j, "", "  ")
		w := strings.ReplaceAll(want.String(), `\u003c`, "<")
		w = strings.ReplaceAll(w, `\u003e`, ">")
		if got := artifact.Pretty(enc.Bytes(), enc.Encoding); got != w {
			t.Errorf("Pretty(%T) =\n%s\nwant\n%s", v, got, w)
		}
	}
	long, _ := artifact.Marshal(reflect.ValueOf(make([]int16, 1000)))
	if got := artifact.Pretty(long.Bytes(), long.Encoding); !strings.HasSuffix(got, "  … 900 more\n]") {
		t.Errorf("long array: %q", got[len(got)-40:])
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{make([]float64, 12345), "array of 12345 float64"},
		{[][]int{{1}, {2}}, "list of 2"},
		{map[string]int{"a": 1}, "map of 1 entries"},
		{table{}, "struct of 6 fields"},
		{"abc", "string of 3 bytes"},
		{[]byte("abcd"), "bytes of 4 bytes"},
		{7, "scalar"},
		{time.Time{}, "json"},
	} {
		enc, err := artifact.Marshal(reflect.ValueOf(tc.v))
		if err != nil {
			t.Fatal(err)
		}
		// Summarize reads only the start: give it nothing more.
		head := enc.Bytes()[:min(int(enc.Size), 16)]
		s, err := artifact.Summarize(bytes.NewReader(head), enc.Size, enc.Encoding)
		if err != nil || s.String() != tc.want {
			t.Errorf("Summarize(%T) = %q, %v; want %q", tc.v, s, err, tc.want)
		}
	}
}

func TestNPY(t *testing.T) {
	for _, tc := range []struct {
		v      any
		header string
		ok     bool
	}{
		{[]float64{1, 2}, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", true},
		{[][]int32{{1, 2, 3}, {4, 5, 6}}, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", true},
		{[]bool{true}, "{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }", true},
		{[][]int32{{1}, {2, 3}}, "", false}, // ragged
		{[][]float64{}, "", false},
		{table{}, "", false},
	} {
		enc, _ := artifact.Marshal(reflect.ValueOf(tc.v))
		tree, err := artifact.ReadTree(enc.Reader(), enc.Size)
		if err != nil {
			t.Fatal(err)
		}
		a, ok := artifact.AsNPY(tree)
		if ok != tc.ok {
			t.Errorf("AsNPY(%T %v) ok = %v", tc.v, tc.v, ok)
			continue
		}
		if !ok {
			continue
		}
		var buf bytes.Buffer
		a.WriteTo(&buf)
		b := buf.Bytes()
		hlen := int(b[8]) | int(b[9])<<8
		if string(b[:8]) != "\x93NUMPY\x01\x00" || (10+hlen)%64 != 0 || strings.TrimRight(string(b[10:10+hlen]), " \n") != tc.header {
			t.Errorf("%T: header %q", tc.v, b[:10+hlen])
		}
	}
}
