package datastore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// TestCacheEntries: an entry reads back; a missing one is not found, a
// damaged one corrupt; a second Put of a key replaces the first whole; a
// key that is no SHA-256 is refused.
func TestCacheEntries(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	key := strings.Repeat("ab", 32)
	if _, err := s.Cache().Get(ctx, key); !errors.Is(err, datastore.ErrNotFound) {
		t.Fatalf("Get of a missing entry: %v; want not found", err)
	}
	e := datastore.CacheEntry{Key: key, Run: "r1", Step: "train", Task: "0-1", Attempt: 2, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := s.Cache().Put(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := s.Cache().Get(ctx, key)
	if err != nil || got != e {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, e)
	}
	if p := got.Pathspec(); p != "r1/train/0-1/2" {
		t.Errorf("Pathspec = %q", p)
	}
	e2 := e
	e2.Run = "r2"
	if err := s.Cache().Put(ctx, e2); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Cache().Get(ctx, key); err != nil || got.Run != "r2" {
		t.Errorf("after a second Put: %+v, %v; want run r2's entry", got, err)
	}
	path := filepath.Join(dir, "Flow", "cache", "ab", key+".json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), "r2", "r3", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cache().Get(ctx, key); !errors.Is(err, datastore.ErrCorrupt) {
		t.Errorf("Get of an edited entry: %v; want corrupt", err)
	}
	for _, bad := range []string{"", "abc", strings.Repeat("zz", 32), "../" + key[3:]} {
		if err := s.Cache().Put(ctx, datastore.CacheEntry{Key: bad}); err == nil {
			t.Errorf("Put with key %q succeeded", bad)
		}
	}
}
