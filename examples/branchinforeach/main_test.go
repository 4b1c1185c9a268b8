package main

import (
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

func TestBranchInForeachFlow(t *testing.T) {
	res := stepflowtest.Run(t, newFlow())
	end := res.End()
	if !reflect.DeepEqual(end.Items, []int{1, 2, 3}) || !reflect.DeepEqual(end.Scores, []int{3, 8, 15}) || end.Total != 26 ||
		end.PowerSum != 56 || end.Summary != "scores [3 8 15], total 26, powers 56, report of 3 lines" {
		t.Errorf("end state: %+v", *end)
	}
	// The per-item fields are dropped by join_items.
	if end.N != 0 || end.Double != 0 || end.Square != 0 || end.Score != 0 {
		t.Errorf("end has per-item fields: N=%d Double=%d Square=%d Score=%d", end.N, end.Double, end.Square, end.Score)
	}
	if p, err := end.Powers.Get(); err != nil || len(p) != 0 {
		t.Errorf("end Powers = %v, %v; want dropped", p, err)
	}
	want := "1: double 2 + square 1 = 3\n2: double 4 + square 4 = 8\n3: double 6 + square 9 = 15\n"
	if got := readFile(t, &end.Report); got != want {
		t.Errorf("end report:\n%s\nwant:\n%s", got, want)
	}
	for i, n := range []int{1, 2, 3} {
		j := res.Task("join_branches", i)
		if j.N != n || j.Double != 2*n || j.Square != n*n || j.Score != 2*n+n*n {
			t.Errorf("join_branches %d: %+v", i, *j)
		}
		if p, err := j.Powers.Get(); err != nil || !reflect.DeepEqual(p, []float64{float64(n), float64(n * n), float64(n * n * n)}) {
			t.Errorf("join_branches %d: Powers = %v, %v", i, p, err)
		}
		if got, want := readFile(t, &j.Report), fmt.Sprintf("%d: double %d + square %d = %d\n", n, 2*n, n*n, 2*n+n*n); got != want {
			t.Errorf("join_branches %d: report %q, want %q", i, got, want)
		}
	}
}

func readFile(t *testing.T, f *stepflow.File) string {
	t.Helper()
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A foreach over an empty slice gives the join no inputs: it must not
// read in[0].
func TestJoinWithoutInputs(t *testing.T) {
	var f BranchInForeachFlow
	if err := f.JoinItems(stepflowtest.Context(t), nil); err != nil || f.Total != 0 || len(f.Scores) != 0 || readFile(t, &f.Report) != "" {
		t.Errorf("JoinItems(no inputs) = %v, state %+v", err, f)
	}
}

// Every join sets or drops each artifact its inputs can disagree on.
func TestJoins(t *testing.T) { stepflowtest.CheckJoins(t, newFlow()) }
