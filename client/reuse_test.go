package client_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/datastore/seed"
)

// seededRoot writes the seed into a directory and returns it with a store
// of HelloFlow on it, for tests that add runs of their own.
func seededRoot(t *testing.T) (string, *datastore.Store) {
	t.Helper()
	root := t.TempDir()
	if err := seed.Write(root); err != nil {
		t.Fatal(err)
	}
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return root, datastore.NewStore(b, "HelloFlow")
}

// TestLogOfReusedTask: a task that resume reused has no logs of its own;
// Task.Log gives those of the task it was reused from, as `logs` does.
func TestLogOfReusedTask(t *testing.T) {
	ctx := context.Background()
	root, s := seededRoot(t)
	start := seed.T0.Add(time.Hour)
	if err := s.Runs().Put(ctx, datastore.Run{ID: "r9", Start: start, Origin: "r1", ResumeStep: "train", Runtime: "local"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r9", Step: "start", Task: "0", Status: datastore.StatusSucceeded,
		Start: start, End: start, Origin: "r1/start/0", Artifacts: map[string]datastore.ArtifactRef{}}); err != nil {
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
	tk, err := run.Task(ctx, "start", "0")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := tk.Log(ctx, -1, client.Stdout)
	if err != nil {
		t.Fatalf("Log of a reused task: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "starting\n" {
		t.Errorf("Log of the reused task = %q, want its origin's %q", b, "starting\n")
	}
	o, err := tk.OriginTask(ctx)
	if err != nil || o.Pathspec() != "HelloFlow/r1/start/0" {
		t.Errorf("OriginTask = %v, %v; want HelloFlow/r1/start/0", o, err)
	}
	// A task that ran has no origin.
	if _, err := o.OriginTask(ctx); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("OriginTask of a task that ran: %v, want ErrNotFound", err)
	}
}

// TestLatestSuccessful: "latest" is the newest run whatever its status,
// "latest-successful" the newest that succeeded.
func TestLatestSuccessful(t *testing.T) {
	ctx := context.Background()
	root, s := seededRoot(t)
	c, _ := client.Open(ctx, root)
	f := c.Flow("HelloFlow")
	for id, want := range map[string]string{client.Latest: "r3", client.LatestSuccessful: "r1"} {
		if r, err := f.Run(ctx, id); err != nil || r.ID != want {
			t.Errorf("Run(%q) = %v, %v; want %s", id, r, err, want)
		}
	}
	// A newer success is found.
	if err := s.Runs().Put(ctx, datastore.Run{ID: "r8", Start: seed.T0.Add(time.Hour), Runtime: "local"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Runs().PutEnd(ctx, "r8", datastore.RunEnd{Status: datastore.StatusSucceeded, End: seed.T0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if r, err := f.Run(ctx, client.LatestSuccessful); err != nil || r.ID != "r8" {
		t.Errorf("Run(latest-successful) after r8 = %v, %v", r, err)
	}
	// A flow without a success says so.
	if err := s.Runs().PutEnd(ctx, "r8", datastore.RunEnd{Status: datastore.StatusFailed, End: seed.T0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Flow("NoFlow").Run(ctx, client.LatestSuccessful)
	if want := "flow NoFlow has no run that succeeded in datastore " + root + " (of 0 runs)"; err == nil || err.Error() != want || !errors.Is(err, client.ErrNotFound) {
		t.Errorf("Run(latest-successful) of a flow without a success: %v, want %q", err, want)
	}
}

// TestTags: tags added and removed are what every reader sees next (Run,
// Runs, a listing); system tags and tags the run lacks are refused
// without a write; run.json stays as written.
func TestTags(t *testing.T) {
	ctx := context.Background()
	root, s := seededRoot(t)
	c, _ := client.Open(ctx, root)
	f := c.Flow("HelloFlow")
	runJSON := filepath.Join(root, "HelloFlow", "runs", "r1", "run.json")
	before, err := os.ReadFile(runJSON)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := f.Run(ctx, "r1")
	if err := r.AddTags(ctx, "best", "nightly", "reviewed"); err != nil {
		t.Fatal(err)
	}
	want := []string{"nightly", "v2", "best", "reviewed"}
	if !slices.Equal(r.Tags, want) {
		t.Errorf("tags after AddTags = %q, want %q", r.Tags, want)
	}
	if err := r.RemoveTags(ctx, "v2"); err != nil {
		t.Fatal(err)
	}
	want = []string{"nightly", "best", "reviewed"}
	// A fresh client sees the change, by id and in the listing.
	c2, _ := client.Open(ctx, root)
	again, err := c2.Flow("HelloFlow").Run(ctx, "r1")
	if err != nil || !slices.Equal(again.Tags, want) {
		t.Errorf("Run(r1).Tags = %q, %v; want %q", again.Tags, err, want)
	}
	runs, err := c2.Flow("HelloFlow").Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range runs {
		if x.ID == "r1" && !slices.Equal(x.Tags, want) {
			t.Errorf("Runs: r1's tags = %q, want %q", x.Tags, want)
		}
		if x.ID == "r2" && !slices.Equal(x.Tags, []string{"nightly"}) {
			t.Errorf("Runs: r2's tags = %q, want its own", x.Tags)
		}
	}
	if after, _ := os.ReadFile(runJSON); string(after) != string(before) {
		t.Error("run.json changed: the record a run started with must stay as written")
	}
	for _, tc := range []struct {
		add  bool
		tags []string
		want string
	}{
		{true, []string{"production:abc"}, `tag "production:abc" is not valid: it starts with "production:", which Stepflow reserves for the tags it sets itself; choose another tag`},
		{true, []string{"ok", "two\nlines"}, `tag "two\nlines" is not valid: it is not one line; give a single-line tag of at most 256 characters`},
		{false, []string{"Resumed:r0"}, `tag "Resumed:r0" of run HelloFlow/r1 cannot be removed: tags starting with "resumed:" are set by Stepflow itself (it names the run a resumed run reused tasks from, and comes from the run's record, not from its tags)`},
		{false, []string{"production:tok"}, `tag "production:tok" of run HelloFlow/r1 cannot be removed: tags starting with "production:" are set by Stepflow itself (it marks the runs of a deployment, and its production token)`},
		{false, []string{"best", "nope"}, `run HelloFlow/r1 has no tag "nope" (its tags: nightly, best, reviewed)`},
		{false, nil, `no tag to remove from run HelloFlow/r1; give one or more tags`},
	} {
		var err error
		if tc.add {
			err = again.AddTags(ctx, tc.tags...)
		} else {
			err = again.RemoveTags(ctx, tc.tags...)
		}
		if err == nil || err.Error() != tc.want || !errors.Is(err, client.ErrBadTag) {
			t.Errorf("tags %q: error %v, want %q wrapping ErrBadTag", tc.tags, err, tc.want)
		}
	}
	// Nothing was written by the refused edits ("best" stays).
	if r, _ := c2.Flow("HelloFlow").Run(ctx, "r1"); !slices.Equal(r.Tags, want) {
		t.Errorf("tags after refused edits = %q, want %q", r.Tags, want)
	}
	// A system tag the run has (a deployment's) is kept when users edit theirs.
	if err := s.Runs().Put(ctx, datastore.Run{ID: "r7", Start: seed.T0, Tags: []string{"production:tok", "x"}, Runtime: "step-functions"}); err != nil {
		t.Fatal(err)
	}
	r7, err := c.Flow("HelloFlow").Run(ctx, "r7")
	if err != nil {
		t.Fatal(err)
	}
	if err := r7.RemoveTags(ctx, "x"); err != nil || !slices.Equal(r7.Tags, []string{"production:tok"}) {
		t.Errorf("RemoveTags(x) of a deployment's run: tags %q, %v; want the production tag kept", r7.Tags, err)
	}
}
