package main

import (
	"reflect"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

func TestNestedForeachFlow(t *testing.T) {
	res := stepflowtest.Run(t, newFlow())
	end := res.End()
	if !reflect.DeepEqual(end.Outer, []int{1, 2}) || !reflect.DeepEqual(end.Middle, []int{10, 20}) ||
		!reflect.DeepEqual(end.Inner, []int{100, 200, 300}) || end.Count != 12 || end.Total != 54000 ||
		end.First != "0.0.0" || end.Last != "1.1.2" || end.Summary != "12 leaves, total 54000, 0.0.0..1.1.2" {
		t.Errorf("end state: %+v", *end)
	}
	if n := len(res.Tasks("leaf")); n != 12 {
		t.Errorf("%d leaf tasks, want 12", n)
	}
	if leaf := res.Task("leaf", 1, 1, 2); leaf.Value != 2*20*300 || leaf.Path != "1.1.2" {
		t.Errorf("leaf 1-1-2: Value=%d Path=%q", leaf.Value, leaf.Path)
	}
	if j := res.Task("join_inner", 0, 1); j.Value != 1*20*600 || j.Count != 3 {
		t.Errorf("join_inner 0-1: Value=%d Count=%d", j.Value, j.Count)
	}
}

// A foreach over an empty slice gives the join no inputs: it must not
// read in[0].
func TestJoinWithoutInputs(t *testing.T) {
	c := &stepflow.Context{}
	for _, join := range []func(*NestedFlow, *stepflow.Context, []*NestedFlow) error{
		(*NestedFlow).JoinInner, (*NestedFlow).JoinMiddle, (*NestedFlow).JoinOuter} {
		var f NestedFlow
		if err := join(&f, c, nil); err != nil || f.Count != 0 || f.Value != 0 || f.First != "" {
			t.Errorf("join(no inputs) = %v, state %+v", err, f)
		}
	}
}

// Every join sets or drops each artifact its inputs can disagree on.
func TestJoins(t *testing.T) { stepflowtest.CheckJoins(t, newFlow()) }
