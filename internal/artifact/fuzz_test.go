package artifact_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/stepflow/stepflow/internal/artifact"
)

// FuzzDecode feeds arbitrary bytes, as stored artifact data of every
// encoding, to the decoders and the inspector's readers (tree, summary,
// pretty): they return a value or an error, never panic, and never
// allocate by a length the data merely claims.
func FuzzDecode(f *testing.F) {
	seeds := []any{[]float64{1, 2.5}, []int32{1, 2}, [][]float64{{1}, {2}}, []byte("raw"), "text", map[string]int{"a": 1},
		point{X: 1, Label: "p"}, []string{"a", "b"}, 42, [][]uint8{{1, 2}, {3, 4}}}
	for _, v := range seeds {
		enc, err := artifact.Marshal(reflect.ValueOf(v))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc.Bytes(), enc.Encoding)
	}
	f.Add([]byte(`{"X":1e400}`), artifact.JSON)
	f.Add([]byte{}, "bytes")
	f.Fuzz(func(t *testing.T, data []byte, encoding string) {
		targets := []any{new(any), new([]float64), new([]int32), new([][]float64), new([]byte), new(string), new(map[string]int),
			new(point), new([]string), new(int), new([][]uint8)}
		for _, p := range targets {
			_ = artifact.Decode(data, encoding, reflect.ValueOf(p))
			_ = artifact.Unmarshal(bytes.NewReader(data), int64(len(data)), encoding, reflect.ValueOf(p))
		}
		_, _ = artifact.ReadTree(bytes.NewReader(data), int64(len(data)))
		_, _ = artifact.Summarize(bytes.NewReader(data), int64(len(data)), encoding)
		_ = artifact.Pretty(data, encoding)
	})
}
