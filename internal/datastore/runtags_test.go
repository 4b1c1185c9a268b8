package datastore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// TestRunTags: PutTags replaces the tags every reader sees (Get and the
// listing) without touching run.json; a damaged tags record is damage
// verify reports and repair removes, after which the start's tags show.
func TestRunTags(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, id := range []string{"a", "b"} {
		if err := s.Runs().Put(ctx, datastore.Run{ID: id, Start: now, Tags: []string{"x"}, Runtime: "local"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Runs().PutTags(ctx, "a", []string{"x", "y"}, now); err != nil {
		t.Fatal(err)
	}
	if r, _, err := s.Runs().Get(ctx, "a"); err != nil || !slices.Equal(r.Tags, []string{"x", "y"}) {
		t.Errorf("Get(a).Tags = %q, %v", r.Tags, err)
	}
	runs, err := s.Runs().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		want := map[string][]string{"a": {"x", "y"}, "b": {"x"}}[r.ID]
		if !slices.Equal(r.Tags, want) {
			t.Errorf("List: run %s tags %q, want %q", r.ID, r.Tags, want)
		}
	}
	res, err := s.VerifyRun(ctx, "a", nil)
	if err != nil || len(res.Damage) != 0 {
		t.Fatalf("VerifyRun(a) = %+v, %v; want no damage", res, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Flow", "runs", "a", "tags.json"), []byte(`{"tags": ["z"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Runs().Get(ctx, "a"); !errors.Is(err, datastore.ErrCorrupt) {
		t.Errorf("Get with a damaged tags.json: %v, want ErrCorrupt", err)
	}
	res, err = s.VerifyRun(ctx, "a", nil)
	if err != nil || len(res.Damage) != 1 || !res.Damage[0].Repairable() {
		t.Fatalf("VerifyRun with a damaged tags.json = %+v, %v; want one repairable damage", res, err)
	}
	if err := s.Repair(ctx, res.Damage[0]); err != nil {
		t.Fatal(err)
	}
	if r, _, err := s.Runs().Get(ctx, "a"); err != nil || !slices.Equal(r.Tags, []string{"x"}) {
		t.Errorf("Get(a) after repair = %q, %v; want the start's tags", r.Tags, err)
	}
}
