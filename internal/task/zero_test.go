package task_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/task"
)

type zeroState struct {
	N     int
	Label string
	Pair  [2]float64
	Point struct{ X, Y int32 }
	Tags  []string
	Seen  string
}

// A task does not read an inherited artifact of plain scalars whose hash
// is its type's zero value: with those blobs gone, the next step still
// runs and sees zero values. A slice, whose nil and empty values encode
// alike, is always read: without its blob the step fails.
func TestStoredZeroNotRead(t *testing.T) {
	f := flow.MustDefinitionOf(stepflow.New[zeroState]("ZeroFlow").
		Step("start", func(s *zeroState, c *stepflow.Context) error { s.N = 7; return nil }, stepflow.Next("end")).
		Step("end", func(s *zeroState, c *stepflow.Context) error {
			if s.N != 7 || s.Label != "" || s.Pair != [2]float64{} || s.Point.X != 0 || s.Tags != nil {
				s.Seen = "wrong"
			}
			return nil
		}))
	ex, root := localExecutor(t, f, "r1", "r2")
	ctx := context.Background()
	rec, err := ex.Run(ctx, task.Spec{RunID: "r1", Step: "start"})
	if err != nil || rec.Status != datastore.StatusSucceeded {
		t.Fatalf("start: %+v %v", rec, err)
	}
	blob := func(name string) string {
		h := rec.Artifacts[name].Hash
		return filepath.Join(root, "ZeroFlow", "blobs", h[:2], h)
	}
	for _, name := range []string{"Label", "Pair", "Point"} {
		if err := os.Remove(blob(name)); err != nil {
			t.Fatalf("remove %s's blob: %v", name, err)
		}
	}
	end, err := ex.Run(ctx, task.Spec{RunID: "r1", Step: "end", Inputs: []string{"r1/start/0"}})
	if err != nil || end.Status != datastore.StatusSucceeded {
		t.Fatalf("end without the zero values' blobs: %+v %v", end, err)
	}
	if h := end.Artifacts["Seen"].Hash; h != rec.Artifacts["Label"].Hash {
		t.Errorf("end saw other values than the zero ones (Seen stored as %s)", h)
	}

	rec, err = ex.Run(ctx, task.Spec{RunID: "r2", Step: "start"})
	if err != nil || rec.Status != datastore.StatusSucceeded {
		t.Fatalf("start: %+v %v", rec, err)
	}
	if err := os.Remove(blob("Tags")); err != nil {
		t.Fatal(err)
	}
	end, err = ex.Run(ctx, task.Spec{RunID: "r2", Step: "end", Inputs: []string{"r2/start/0"}})
	if err == nil && end.Status == datastore.StatusSucceeded {
		t.Fatal("end ran without the blob of the nil slice it inherits; want a failure")
	}
	if msg := strings.ToLower(errText(err, end)); !strings.Contains(msg, "tags") {
		t.Errorf("failure does not name the artifact Tags: %q", msg)
	}
}

func errText(err error, rec *datastore.Attempt) string {
	if err != nil {
		return err.Error()
	}
	return rec.Error
}
