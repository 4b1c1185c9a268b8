package artifact_test

import (
	"bytes"
	"io"
	"math"
	"reflect"
	"testing"

	"github.com/stepflow/stepflow/internal/artifact"
)

// maxWrite records the longest single write it gets.
type maxWrite struct {
	bytes.Buffer
	longest int
}

func (m *maxWrite) Write(p []byte) (int, error) {
	m.longest = max(m.longest, len(p))
	return m.Buffer.Write(p)
}

// TestWriteJSON: WriteJSON writes what AppendJSON appends, compact and
// pretty, in pieces of bounded size however large the value.
func TestWriteJSON(t *testing.T) {
	type rec struct {
		Name   string
		Values []float64
		Nested [][]int32
		M      map[string][]string
	}
	big := make([]float64, 300_000)
	for i := range big {
		big[i] = float64(i) / 7
	}
	big[5] = math.NaN()
	nested := make([][]int32, 2000)
	for i := range nested {
		nested[i] = []int32{int32(i), -int32(i), 3}
	}
	for _, v := range []any{
		3, "x", []string{"a", "b"}, big,
		rec{Name: "<r>", Values: big[:1000], Nested: nested, M: map[string][]string{"k": {"v"}}},
		[]rec{{Name: "a", Values: big}, {Name: "b"}},
	} {
		enc, err := artifact.Marshal(reflect.ValueOf(v))
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(enc.Reader())
		if err != nil {
			t.Fatal(err)
		}
		tree, err := artifact.ReadTree(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, pretty := range []bool{false, true} {
			want, err := artifact.AppendJSON(nil, tree, pretty)
			if err != nil {
				t.Fatal(err)
			}
			var w maxWrite
			if err := artifact.WriteJSON(&w, tree, pretty); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(w.Bytes(), want) {
				t.Errorf("%T pretty=%v: WriteJSON wrote %d bytes differing from AppendJSON's %d", v, pretty, w.Len(), len(want))
			}
			if len(want) > 1<<20 && w.longest > 256<<10 {
				t.Errorf("%T pretty=%v: %d bytes of JSON written in a piece of %d bytes", v, pretty, len(want), w.longest)
			}
		}
	}
}
