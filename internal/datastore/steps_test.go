package datastore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
)

// listCounter counts the objects its List calls visit.
type listCounter struct {
	datastore.Backend
	listed int
}

func (c *listCounter) List(ctx context.Context, prefix string, fn func(string, int64) error) error {
	return c.Backend.List(ctx, prefix, func(name string, size int64) error {
		c.listed++
		return fn(name, size)
	})
}

// TestStepsAndHasTaskListOneLevel: a run's steps and whether a task exists
// are found without listing the run's or the step's objects (what made one
// task's page of a 10,000-task run take 0.5 s): Steps and HasTask visit no
// object, whatever the number of tasks, and leave out the layout's own
// folders (attempt-index, resumes).
func TestStepsAndHasTaskListOneLevel(t *testing.T) {
	ctx := context.Background()
	s0, _ := newStore(t)
	cb := &listCounter{Backend: s0.Backend()}
	s := datastore.NewStore(cb, "Flow")
	if err := s.Runs().Put(ctx, datastore.Run{ID: "r"}); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "train", Task: fmt.Sprint(i), Status: datastore.StatusSucceeded}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "start", Task: "0", Status: datastore.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	release, err := s.Leases().ClaimResume(ctx, "r", datastore.NewLease("r2"))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	cb.listed = 0
	steps, err := s.Attempts().Steps(ctx, "r")
	if err != nil || !slices.Equal(steps, []string{"start", "train"}) {
		t.Fatalf("Steps = %q, %v; want start, train", steps, err)
	}
	for id, want := range map[string]bool{"0": true, "299": true, "300": false, "7-1": false} {
		if ok, err := s.Attempts().HasTask(ctx, "r", "train", id); err != nil || ok != want {
			t.Errorf("HasTask(train, %s) = %v, %v; want %v", id, ok, err, want)
		}
	}
	if cb.listed != 0 {
		t.Errorf("Steps and HasTask listed %d objects; they must list one level of folders only", cb.listed)
	}
}
