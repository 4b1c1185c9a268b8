package datastore_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// TestAttemptIndex checks that the index holds every attempt, in order, a
// running entry before its attempt's finished one, with names that need
// escaping read back as written.
func TestAttemptIndex(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	if err := s.PutRun(ctx, datastore.Run{ID: "r.1", Start: t0}); err != nil {
		t.Fatal(err)
	}
	r, _, err := s.Run(ctx, "r.1")
	if err != nil || r.AttemptIndex != datastore.AttemptIndexVersion {
		t.Fatalf("Run = %+v, %v: want AttemptIndex %d", r, err, datastore.AttemptIndexVersion)
	}
	put := func(a datastore.Attempt) {
		t.Helper()
		a.Run = "r.1"
		if err := s.PutAttempt(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutAttemptStarted(ctx, "r.1", "train", "10", 0, t0); err != nil {
		t.Fatal(err)
	}
	put(datastore.Attempt{Step: "train", Task: "10", Attempt: 0, Status: "failed", Start: t0, End: t0.Add(time.Second)})
	put(datastore.Attempt{Step: "train", Task: "10", Attempt: 1, Status: "succeeded", Start: t0, End: t0.Add(2 * time.Second)})
	put(datastore.Attempt{Step: "train", Task: "2", Attempt: 0, Status: "succeeded", Start: t0, End: t0})
	put(datastore.Attempt{Step: "start", Task: "x.%2E", Attempt: 0, Status: "succeeded", Start: t0, End: t0,
		ForeachWidth: 3, Origin: "old.run%/start/x.%2E"})
	got, err := s.AttemptIndex(ctx, "r.1")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range got {
		lines = append(lines, strings.Join([]string{e.Step, e.Task, string(rune('0' + e.Attempt)), e.Status,
			e.Start.Format(time.RFC3339Nano), e.End.Format(time.RFC3339Nano), string(rune('0' + e.ForeachWidth)), e.OriginRun}, " "))
	}
	s0, s1, s2 := "2026-01-02T03:04:05.006Z", "2026-01-02T03:04:06.006Z", "2026-01-02T03:04:07.006Z"
	zero := "0001-01-01T00:00:00Z"
	want := []string{
		"start x.%2E 0 succeeded " + s0 + " " + s0 + " 3 old.run%",
		"train 2 0 succeeded " + s0 + " " + s0 + " 0 ",
		"train 10 0 running " + s0 + " " + zero + " 0 ",
		"train 10 0 failed " + s0 + " " + s1 + " 0 ",
		"train 10 1 succeeded " + s0 + " " + s2 + " 0 ",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("AttemptIndex =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	// The index is no step of the run.
	steps, err := s.Steps(ctx, "r.1")
	if err != nil || !reflect.DeepEqual(steps, []string{"start", "train"}) {
		t.Errorf("Steps = %v, %v", steps, err)
	}
}
