package main

import (
	"reflect"
	"testing"

	"github.com/stepflow/stepflow/stepflowtest"
)

func TestBranchFlow(t *testing.T) {
	res := stepflowtest.Run(t, newFlow())
	want := BranchFlow{Numbers: []int{1, 2, 3, 4}, Sum: 10, SquareSum: 30, Label: "1-2-3-4", Total: 40,
		Report: "1-2-3-4: sum=10 squares=30 total=40"}
	if got := res.End(); !reflect.DeepEqual(*got, want) {
		t.Errorf("end state:\n got %+v\nwant %+v", *got, want)
	}
	// Each branch computed only its own part.
	if sq := res.Task("squares"); sq.SquareSum != 30 || sq.Sum != 0 || sq.Label != "" {
		t.Errorf("squares task: %+v", *sq)
	}
}

// Every join sets or drops each artifact its inputs can disagree on.
func TestJoins(t *testing.T) { stepflowtest.CheckJoins(t, newFlow()) }
