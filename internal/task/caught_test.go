package task

import (
	"context"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

// A cloud catch handler gets only the error name: it records the message
// of the latest failed attempt, numbered after it.
func TestResolveCaught(t *testing.T) {
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ex := &Executor{Store: datastore.NewStore(b, "F")}
	ctx := context.Background()
	spec := Spec{RunID: "sfn-1", Step: "risky", TaskID: "0", Attempt: 1, Caught: "States.TaskFailed", CaughtIsName: true}
	s := spec
	if err := ex.ResolveCaught(ctx, &s); err != nil || s.Caught != "States.TaskFailed" || s.Attempt != 1 {
		t.Errorf("no attempt: %q %d %v", s.Caught, s.Attempt, err)
	}
	for _, a := range []datastore.Attempt{
		{Run: "sfn-1", Step: "risky", Task: "0", Attempt: 0, Status: datastore.StatusFailed, Error: "first"},
		{Run: "sfn-1", Step: "risky", Task: "0", Attempt: 2, Status: datastore.StatusFailed, Error: "step risky: boom"},
	} {
		if err := ex.Store.Attempts().Put(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	s = spec
	if err := ex.ResolveCaught(ctx, &s); err != nil || s.Caught != "step risky: boom" || s.Attempt != 3 {
		t.Errorf("after attempts 0 and 2: %q %d %v", s.Caught, s.Attempt, err)
	}
}
