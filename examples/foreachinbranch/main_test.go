package main

import (
	"reflect"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

func TestForeachInBranchFlow(t *testing.T) {
	res := stepflowtest.Run(t, newFlow())
	end := res.End()
	if !reflect.DeepEqual(end.Letters, []string{"a", "b", "c"}) || !reflect.DeepEqual(end.Digits, []int{2, 3, 4}) ||
		end.Word != "ABC" || end.CubeSum != 99 || end.Summary != "ABC/99" {
		t.Errorf("end state: %+v\nwant Letters=[a b c] Digits=[2 3 4] Word=ABC CubeSum=99 Summary=ABC/99", *end)
	}
	for i, d := range []int{2, 3, 4} {
		if got := res.Task("cube", i).Cube; got != d*d*d {
			t.Errorf("cube %d = %d, want %d", i, got, d*d*d)
		}
	}
	if got := res.Task("upper", 1).Up; got != "B" {
		t.Errorf("upper 1 = %q, want B", got)
	}
}

// A foreach over an empty slice gives the join no inputs: it must not
// read in[0].
func TestJoinWithoutInputs(t *testing.T) {
	var f ForeachInBranchFlow
	if err := f.JoinLetters(&stepflow.Context{}, nil); err != nil || f.Word != "" {
		t.Errorf("JoinLetters(no inputs) = %v, state %+v", err, f)
	}
	if err := f.JoinDigits(&stepflow.Context{}, nil); err != nil || f.CubeSum != 0 {
		t.Errorf("JoinDigits(no inputs) = %v, state %+v", err, f)
	}
}

// Every join sets or drops each artifact its inputs can disagree on.
func TestJoins(t *testing.T) { stepflowtest.CheckJoins(t, newFlow()) }
