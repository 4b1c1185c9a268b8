package task_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/task"
)

type redriveState struct {
	Value string
	Seen  string
}

// A redriven execution may pass an attempt number already used (the state
// machine's $$.State.RetryCount starts again): the task is numbered after
// the latest record, the failed attempts are kept, and the next step reads
// the new one.
func TestRedriveNumbersAttemptAfterLatest(t *testing.T) {
	fail := true
	f := flow.MustDefinitionOf(stepflow.New[redriveState]("RedriveFlow").
		Step("start", func(s *redriveState, c *stepflow.Context) error { return nil }, stepflow.Next("mid")).
		Step("mid", func(s *redriveState, c *stepflow.Context) error {
			if fail {
				return errors.New("boom")
			}
			s.Value = "fixed"
			return nil
		}, stepflow.Next("end")).
		Step("end", func(s *redriveState, c *stepflow.Context) error {
			s.Seen = s.Value
			return nil
		}))
	g, err := graph.New(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ex := &task.Executor{Flow: f, Graph: g, Store: datastore.NewStore(b, f.Name)}
	ctx := context.Background()
	run := func(step string, attempt int, inputs ...string) *datastore.Attempt {
		t.Helper()
		rec, err := ex.Run(ctx, task.Spec{RunID: "sfn-r", Step: step, Attempt: attempt, Inputs: inputs, Params: map[string]string{}})
		if err != nil {
			t.Fatalf("%s attempt %d: %v", step, attempt, err)
		}
		return rec
	}
	run("start", 0)
	// The first execution: attempt 0 and its retry fail.
	for a := 0; a < 2; a++ {
		if rec := run("mid", a, "sfn-r/start/0"); rec.Status != datastore.StatusFailed || rec.Attempt != a {
			t.Fatalf("mid attempt %d: %+v", a, rec)
		}
	}
	// The redrive passes 0 again; the step now succeeds.
	fail = false
	rec := run("mid", 0, "sfn-r/start/0")
	if rec.Status != datastore.StatusSucceeded || rec.Attempt != 2 {
		t.Fatalf("redriven attempt: status %s, attempt %d; want succeeded, 2", rec.Status, rec.Attempt)
	}
	for a := 0; a < 2; a++ {
		old, err := ex.Store.Attempts().Get(ctx, "sfn-r", "mid", "0", a)
		if err != nil || old.Status != datastore.StatusFailed || old.Error != "step mid: boom" {
			t.Errorf("failed attempt %d was not kept: %+v %v", a, old, err)
		}
	}
	// A number above the records is kept as given.
	if rec := run("mid", 5, "sfn-r/start/0"); rec.Attempt != 5 {
		t.Errorf("attempt 5 numbered %d", rec.Attempt)
	}
	end := run("end", 0, "sfn-r/mid/0")
	if end.Status != datastore.StatusSucceeded {
		t.Fatalf("end: %+v", end)
	}
	ref := end.Artifacts["Seen"]
	data, err := ex.Store.Blobs().Get(ctx, ref.Hash)
	var seen string
	if err == nil {
		err = artifact.Decode(data, ref.Encoding, reflect.ValueOf(&seen))
	}
	if err != nil || seen != "fixed" {
		t.Errorf("the next step read %q (%v), want the redriven attempt's \"fixed\"", seen, err)
	}
}
