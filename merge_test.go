package stepflow_test

import (
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
)

type mergeState struct {
	Shared []int
	Alpha  float64
	Score  float64
	Best   string
	local  int
}

func TestMergeArtifacts(t *testing.T) {
	in := []*mergeState{
		{Shared: []int{1, 2}, Alpha: 0.5, Score: 1, local: 1},
		{Shared: []int{1, 2}, Alpha: 0.5, Score: 2, local: 2},
	}
	var dst mergeState
	err := stepflow.MergeArtifacts(&dst, in)
	if err == nil || !strings.Contains(err.Error(), "disagree on Score;") {
		t.Fatalf("err = %v, want a conflict on Score only", err)
	}
	if dst.Alpha != 0.5 || len(dst.Shared) != 2 || dst.Score != 0 || dst.local != 0 {
		t.Errorf("merged %+v", dst)
	}
	dst = mergeState{Best: "mine"}
	if err := stepflow.MergeArtifacts(&dst, in, "Score", "Best"); err != nil {
		t.Fatal(err)
	}
	if dst.Best != "mine" || dst.Alpha != 0.5 {
		t.Errorf("exclude not honoured: %+v", dst)
	}
}
