package main

import (
	"reflect"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

func TestBranchInForeachFlow(t *testing.T) {
	res := stepflowtest.Run(t, newFlow())
	end := res.End()
	want := BranchInForeachFlow{Items: []int{1, 2, 3}, Scores: []int{3, 8, 15}, Total: 26,
		Summary: "scores [3 8 15], total 26"}
	// N, Double, Square and Score are those of the first item's task.
	end.N, end.Double, end.Square, end.Score = 0, 0, 0, 0
	if !reflect.DeepEqual(*end, want) {
		t.Errorf("end state:\n got %+v\nwant %+v", *end, want)
	}
	for i, n := range []int{1, 2, 3} {
		if j := res.Task("join_branches", i); j.N != n || j.Double != 2*n || j.Square != n*n || j.Score != 2*n+n*n {
			t.Errorf("join_branches %d: %+v", i, *j)
		}
	}
}

// A foreach over an empty slice gives the join no inputs: it must not
// read in[0].
func TestJoinWithoutInputs(t *testing.T) {
	var f BranchInForeachFlow
	if err := f.JoinItems(&stepflow.Context{}, nil); err != nil || f.Total != 0 || len(f.Scores) != 0 {
		t.Errorf("JoinItems(no inputs) = %v, state %+v", err, f)
	}
}

// Every join sets or drops each artifact its inputs can disagree on.
func TestJoins(t *testing.T) { stepflowtest.CheckJoins(t, newFlow()) }
