package datastore_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
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
	if err := s.Runs().Put(ctx, datastore.Run{ID: "r.1", Start: t0}); err != nil {
		t.Fatal(err)
	}
	r, _, err := s.Runs().Get(ctx, "r.1")
	if err != nil || r.AttemptIndex != datastore.AttemptIndexVersion {
		t.Fatalf("Run = %+v, %v: want AttemptIndex %d", r, err, datastore.AttemptIndexVersion)
	}
	put := func(a datastore.Attempt) {
		t.Helper()
		a.Run = "r.1"
		if err := s.Attempts().Put(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Attempts().PutStarted(ctx, "r.1", "train", "10", 0, t0); err != nil {
		t.Fatal(err)
	}
	put(datastore.Attempt{Step: "train", Task: "10", Attempt: 0, Status: "failed", Start: t0, End: t0.Add(time.Second)})
	put(datastore.Attempt{Step: "train", Task: "10", Attempt: 1, Status: "succeeded", Start: t0, End: t0.Add(2 * time.Second)})
	put(datastore.Attempt{Step: "train", Task: "2", Attempt: 0, Status: "succeeded", Start: t0, End: t0})
	put(datastore.Attempt{Step: "start", Task: "x.%2E", Attempt: 0, Status: "succeeded", Start: t0, End: t0,
		ForeachWidth: 3, Origin: "old.run%/start/x.%2E"})
	got, err := s.Attempts().Index(ctx, "r.1")
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
	steps, err := s.Attempts().Steps(ctx, "r.1")
	if err != nil || !reflect.DeepEqual(steps, []string{"start", "train"}) {
		t.Errorf("Steps = %v, %v", steps, err)
	}
}

// TestAttemptIndexLayouts: a run's index is one folder of entries named
// step first, so a step's first task makes no folder for it; the entries
// of binaries that kept a folder per step read back the same, also mixed
// with flat ones in one run.
func TestAttemptIndexLayouts(t *testing.T) {
	ctx := context.Background()
	s, root := newStore(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "train", Task: "1", Status: "succeeded", Start: t0, End: t0}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "Flow", "runs", "r", "attempt-index"))
	if err != nil || len(entries) != 1 || entries[0].IsDir() || !strings.HasPrefix(entries[0].Name(), "train.1.0.succeeded.") {
		t.Fatalf("attempt-index holds %v (%v), want one entry train.1.0.succeeded...", entries, err)
	}
	// An entry as binaries before the flat index wrote it.
	old := "Flow/runs/r/attempt-index/train/0.0.succeeded." + strconv.FormatInt(t0.UnixNano(), 10) + ".0.0"
	if err := s.Backend().Save(ctx, old, strings.NewReader("")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Attempts().Index(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Step != "train" || got[0].Task != "0" || !got[0].Start.Equal(t0) || got[1].Task != "1" || !got[1].End.Equal(t0) {
		t.Errorf("AttemptIndex = %+v, want train/0 (nested) then train/1 (flat)", got)
	}
}
