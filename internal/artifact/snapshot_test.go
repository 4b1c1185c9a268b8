package artifact

import (
	"reflect"
	"testing"
	"time"
)

type inner struct {
	A []float64
	M map[string][]int
	s string
}

func TestSnapshot(t *testing.T) {
	type big struct {
		Xs    []int
		In    inner
		Arr   [3]uint8
		Names []string
	}
	v := big{Xs: []int{1, 2, 3}, In: inner{A: []float64{0.5}, M: map[string][]int{"a": {1}}}, Names: []string{"x"}}
	mutations := map[string]func(*big){
		"slice element":  func(b *big) { b.Xs[1] = 9 },
		"slice grown":    func(b *big) { b.Xs = append(b.Xs, 4) },
		"nested float":   func(b *big) { b.In.A[0] = 0.25 },
		"negative zero":  func(b *big) { b.In.A[0] = 0; b.In.A[0] = -b.In.A[0] },
		"map value":      func(b *big) { b.In.M["a"][0] = 2 },
		"map key":        func(b *big) { b.In.M["b"] = nil },
		"array":          func(b *big) { b.Arr[2] = 1 },
		"string element": func(b *big) { b.Names[0] = "y" },
		"nil slice":      func(b *big) { b.Xs = nil },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			x := v
			x.Xs = append([]int(nil), v.Xs...)
			x.In.A = append([]float64(nil), v.In.A...)
			x.In.M = map[string][]int{"a": {1}}
			x.Names = append([]string(nil), v.Names...)
			rv := reflect.ValueOf(&x).Elem()
			s, ok := Snap(rv)
			if !ok {
				t.Fatal("snapshot refused a plain type")
			}
			if !s.Unchanged(rv) {
				t.Fatal("unchanged value reported as changed")
			}
			mutate(&x)
			if s.Unchanged(rv) {
				t.Fatal("mutation not detected")
			}
		})
	}
	// Unexported fields are not encoded, so changing them changes nothing.
	x := inner{s: "a"}
	rv := reflect.ValueOf(&x).Elem()
	s, _ := Snap(rv)
	x.s = "b"
	if !s.Unchanged(rv) {
		t.Fatal("unexported field change counted")
	}
}

func TestSnapshotRefusesNonPlain(t *testing.T) {
	for _, v := range []any{new(*int), new(any), new(time.Time), new(map[string]any)} {
		if _, ok := Snap(reflect.ValueOf(v).Elem()); ok {
			t.Errorf("Snap accepted %T", v)
		}
	}
}
