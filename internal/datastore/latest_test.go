package datastore_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
)

// TestLatestAttemptUnfinished: Attempts.Latest skips attempts without a
// record (started, not finished) and names that are not attempt numbers,
// and says which task has none.
func TestLatestAttemptUnfinished(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	for _, n := range []int{0, 9, 10} {
		if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "s", Task: "1", Attempt: n, Status: datastore.StatusFailed}); err != nil {
			t.Fatal(err)
		}
	}
	b := s.Backend()
	for _, name := range []string{
		"Flow/runs/r/s/1/11/stdout.log",    // running
		"Flow/runs/r/s/1/12/stderr.log",    // crashed
		"Flow/runs/r/s/1/011/attempt.json", // not an attempt number
		"Flow/runs/r/s/1/x/attempt.json",
		"Flow/runs/r/s/2/0/stdout.log", // a task with no finished attempt
	} {
		if err := b.Save(ctx, name, bytes.NewReader([]byte("{}"))); err != nil {
			t.Fatal(err)
		}
	}
	if a, err := s.Attempts().Latest(ctx, "r", "s", "1"); err != nil || a.Attempt != 10 {
		t.Errorf("Attempts.Latest(s/1) = %d, %v; want 10", a.Attempt, err)
	}
	for _, task := range []string{"2", "3"} {
		_, err := s.Attempts().Latest(ctx, "r", "s", task)
		if !errors.Is(err, datastore.ErrNotFound) {
			t.Fatalf("Attempts.Latest(s/%s) = %v, want ErrNotFound", task, err)
		}
		if want := "get latest attempt of Flow/runs/r/s/" + task + ": not found"; err.Error() != want {
			t.Errorf("Attempts.Latest(s/%s) error %q, want %q", task, err, want)
		}
	}
	if _, ok, err := s.Attempts().Succeeded(ctx, "r", "s", "2"); ok || err != nil {
		t.Errorf("Succeeded(s/2) = %v, %v; want false, nil", ok, err)
	}
}
