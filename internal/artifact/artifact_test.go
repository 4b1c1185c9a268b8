package artifact_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/artifact"
)

type point struct {
	X, Y    float64
	Label   string `json:"label"`
	private chan int
}

type state struct {
	Count  int
	Names  []string
	Scores map[string]float64
	When   time.Time
	Points []point
	Raw    []byte
	Next   *state
	Any    any
}

func roundTrip[T any](t *testing.T, v T) (T, []byte, string) {
	t.Helper()
	data, enc, err := artifact.Encode(reflect.ValueOf(v))
	if err != nil {
		t.Fatalf("Encode(%T): %v", v, err)
	}
	var got T
	if err := artifact.Decode(data, enc, reflect.ValueOf(&got)); err != nil {
		t.Fatalf("Decode(%T): %v", v, err)
	}
	return got, data, enc
}

func TestRoundTrip(t *testing.T) {
	s := state{Count: 3, Names: []string{"a", "b"}, Scores: map[string]float64{"z": 1, "a": 2.5},
		When: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), Points: []point{{X: 1, Y: 2, Label: "<p>"}},
		Raw: []byte{1, 2}, Next: &state{Count: 1}, Any: "x"}
	got, data, enc := roundTrip(t, s)
	if enc != artifact.JSON || !reflect.DeepEqual(got, s) {
		t.Errorf("round trip: got %+v (%s), want %+v", got, enc, s)
	}
	if !strings.Contains(string(data), `"<p>"`) {
		t.Errorf("HTML escaped in %s", data)
	}
	// Map keys sorted: deterministic.
	if m, data, _ := roundTrip(t, map[string]int{"b": 1, "a": 2, "c": 3}); string(data) != `{"a":2,"b":1,"c":3}` || m["a"] != 2 {
		t.Errorf("map encoding = %s", data)
	}
	if got, _, _ := roundTrip(t, 42); got != 42 {
		t.Errorf("int: %v", got)
	}
	if got, _, _ := roundTrip(t, map[int]string{2: "x"}); got[2] != "x" {
		t.Errorf("int-keyed map: %v", got)
	}
}

func TestBytes(t *testing.T) {
	b := []byte{0, 1, 2, 255}
	got, data, enc := roundTrip(t, b)
	if enc != artifact.Bytes || string(data) != string(b) || string(got) != string(b) {
		t.Errorf("bytes: enc %s data %v got %v", enc, data, got)
	}
	raw, _, enc := roundTrip(t, json.RawMessage(`{"a":1}`))
	if enc != artifact.Bytes || string(raw) != `{"a":1}` {
		t.Errorf("RawMessage: %s %s", enc, raw)
	}
	// Decoded bytes do not alias the input.
	var out []byte
	in := []byte("abc")
	if err := artifact.Decode(in, artifact.Bytes, reflect.ValueOf(&out)); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	if string(out) != "abc" {
		t.Errorf("decoded bytes alias input: %q", out)
	}
	// A JSON (base64) encoded []byte still decodes.
	if err := artifact.Decode([]byte(`"AQI="`), artifact.JSON, reflect.ValueOf(&out)); err != nil || string(out) != "\x01\x02" {
		t.Errorf("base64 JSON into []byte: %v %v", out, err)
	}
}

func TestEncodeErrors(t *testing.T) {
	type withChan struct{ C chan int }
	type withFunc struct{ F func() }
	for _, tc := range []struct {
		v    any
		want []string
	}{
		{math.NaN(), []string{"float64", "NaN"}},
		{map[string]float64{"a": math.Inf(1)}, []string{"map[string]float64", "+Inf"}},
		{make(chan int), []string{"chan int", "cannot be stored"}},
		{withChan{}, []string{"withChan", "field C", "chan"}},
		{withFunc{}, []string{"withFunc", "field F", "func"}},
		{complex(1, 2), []string{"complex128"}},
		{map[[2]int]int{}, []string{"map key type [2]int"}},
		{[]any{func() {}}, []string{"[]interface {}", "func()"}},
	} {
		_, _, err := artifact.Encode(reflect.ValueOf(tc.v))
		if err == nil {
			t.Errorf("Encode(%T) succeeded", tc.v)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Encode(%T) error %q does not mention %q", tc.v, err, w)
			}
		}
	}
	// Unexported fields are ignored, as by encoding/json.
	if _, _, err := artifact.Encode(reflect.ValueOf(point{private: make(chan int)})); err != nil {
		t.Errorf("unexported chan field: %v", err)
	}
	if _, _, err := artifact.Encode(reflect.Value{}); err == nil {
		t.Error("Encode(invalid) succeeded")
	}
}

func TestDecodeErrors(t *testing.T) {
	var n int
	var s string
	var b []byte
	for _, tc := range []struct {
		data, enc string
		ptr       reflect.Value
		want      string
	}{
		{`"x"`, "json", reflect.ValueOf(&n), "int"},
		{`{`, "json", reflect.ValueOf(&n), "int"},
		{`x`, "bytes", reflect.ValueOf(&s), "string"},
		{`1`, "gob", reflect.ValueOf(&n), `unknown encoding "gob"`},
		{`1`, "json", reflect.ValueOf(n), "pointer"},
		{`1`, "json", reflect.ValueOf((*int)(nil)), "nil *int"},
		{`1`, "json", reflect.ValueOf(&b), "[]uint8"},
	} {
		err := artifact.Decode([]byte(tc.data), tc.enc, tc.ptr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s, %s, %s) = %v, want error mentioning %q", tc.data, tc.enc, tc.ptr.Type(), err, tc.want)
		}
	}
}

func TestPretty(t *testing.T) {
	if got := artifact.Pretty([]byte(`{"a":[1,2]}`), "json"); got != "{\n  \"a\": [\n    1,\n    2\n  ]\n}" {
		t.Errorf("Pretty json = %q", got)
	}
	if got := artifact.Pretty([]byte{0xde, 0xad}, "bytes"); got != "<2 bytes> dead" {
		t.Errorf("Pretty bytes = %q", got)
	}
	if got := artifact.Pretty(make([]byte, 100), "bytes"); !strings.HasPrefix(got, "<100 bytes> 0000") || !strings.HasSuffix(got, "…") {
		t.Errorf("Pretty long bytes = %q", got)
	}
	if got := artifact.Pretty([]byte(`{`), "json"); !strings.Contains(got, "invalid JSON") {
		t.Errorf("Pretty invalid = %q", got)
	}
	if got := artifact.Pretty(nil, "bytes"); got != "<0 bytes>" {
		t.Errorf("Pretty empty = %q", got)
	}
}
