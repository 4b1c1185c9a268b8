package artifact

import (
	"reflect"
	"testing"
)

type cloneRow struct {
	ID     int64
	Tags   []string
	Scores map[string][]float64
	Grid   [2][]int
	hidden []int
}

func TestCloneSharesNothingMutable(t *testing.T) {
	src := []cloneRow{{
		ID: 7, Tags: []string{"a", "b"}, Scores: map[string][]float64{"x": {1, 2}},
		Grid: [2][]int{{1}, {2, 3}}, hidden: []int{9},
	}, {}}
	v, ok := Clone(reflect.ValueOf(src))
	if !ok {
		t.Fatal("Clone refused a plain value")
	}
	got := v.Interface().([]cloneRow)
	want := []cloneRow{{ID: 7, Tags: []string{"a", "b"}, Scores: map[string][]float64{"x": {1, 2}}, Grid: [2][]int{{1}, {2, 3}}}, {}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("clone = %+v, want %+v (unexported fields zero, as decoded)", got, want)
	}
	if got[1].Tags != nil || got[1].Scores != nil {
		t.Fatalf("nil slices and maps must stay nil: %+v", got[1])
	}
	got[0].ID = 1
	got[0].Tags[0] = "changed"
	got[0].Scores["x"][0] = 100
	got[0].Scores["y"] = nil
	got[0].Grid[1][0] = 100
	if src[0].ID != 7 || src[0].Tags[0] != "a" || src[0].Scores["x"][0] != 1 || len(src[0].Scores) != 1 || src[0].Grid[1][0] != 2 {
		t.Fatalf("mutating the clone changed the original: %+v", src[0])
	}
	if e, ok := Clone(reflect.ValueOf([]int{})); !ok || e.IsNil() || e.Len() != 0 {
		t.Fatalf("an empty slice must clone to an empty, non-nil slice")
	}
}

func TestCloneRefusesPointers(t *testing.T) {
	x := 1
	if _, ok := Clone(reflect.ValueOf(struct{ P *int }{&x})); ok {
		t.Fatal("Clone accepted a value holding a pointer")
	}
	if _, ok := Clone(reflect.ValueOf([]any{1})); ok {
		t.Fatal("Clone accepted a value holding an interface")
	}
}
