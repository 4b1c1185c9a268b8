package datastore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
)

// TestRecordTooLarge: a record file grown past any record's size (another
// file written over it) is damage, refused before it is read, not a
// gigabyte read into memory.
func TestRecordTooLarge(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	if err := s.Runs().Put(ctx, datastore.Run{ID: "r"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "Flow", "runs", "r", "run.json"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(8 << 30); err != nil { // sparse: nothing is written
		t.Fatal(err)
	}
	f.Close()
	if _, _, err := s.Runs().Get(ctx, "r"); !errors.Is(err, datastore.ErrCorrupt) || !strings.Contains(err.Error(), "more than any record holds") {
		t.Errorf("Run of an 8 GiB run.json: %v, want ErrCorrupt", err)
	}
}
