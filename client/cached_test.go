package client_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/seed"
)

// TestCachedTask: a task found in the step cache has CachedFrom and its
// key, from its record and from the run's index; its logs are those of
// the task that ran (CachedTask); a run's end record gives its count of
// cached tasks; a task that ran has no cached task.
func TestCachedTask(t *testing.T) {
	ctx := context.Background()
	root, s := seededRoot(t)
	start := seed.T0.Add(time.Hour)
	if err := s.Runs().Put(ctx, datastore.Run{ID: "r9", Start: start, Runtime: "local", AttemptIndex: datastore.AttemptIndexVersion}); err != nil {
		t.Fatal(err)
	}
	const key = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r9", Step: "start", Task: "0", Status: datastore.StatusSucceeded,
		Start: start, End: start, CachedFrom: "r1/start/0/0", CacheKey: key, Artifacts: map[string]datastore.ArtifactRef{}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Runs().PutEnd(ctx, "r9", datastore.RunEnd{Status: datastore.StatusSucceeded, End: start, Cached: 1}); err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.Flow("HelloFlow").Run(ctx, "r9")
	if err != nil {
		t.Fatal(err)
	}
	if run.Cached != 1 {
		t.Errorf("run.Cached = %d, want 1", run.Cached)
	}
	tk, err := run.Task(ctx, "start", "0")
	if err != nil {
		t.Fatal(err)
	}
	if tk.CachedFrom != "r1/start/0" || tk.CacheKey != key || tk.Origin != "" {
		t.Errorf("task: cached from %q, key %q, origin %q", tk.CachedFrom, tk.CacheKey, tk.Origin)
	}
	rc, err := tk.Log(ctx, -1, client.Stdout)
	if err != nil {
		t.Fatalf("Log of a cached task: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "starting\n" {
		t.Errorf("Log of the cached task = %q, want its origin's %q", b, "starting\n")
	}
	p, _, err := run.Progress(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ts := p.Steps["start"]; len(ts) != 1 || ts[0].CachedFrom != "r1/start/0" || ts[0].Origin != "" {
		t.Errorf("progress: %+v", ts)
	}
	ran, err := (must(c.Flow("HelloFlow").Run(ctx, "r1"))).Task(ctx, "start", "0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ran.CachedTask(ctx); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("CachedTask of a task that ran: %v; want not found", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
