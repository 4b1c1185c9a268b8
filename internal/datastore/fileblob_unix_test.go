//go:build unix

package datastore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
)

// TestPutBlobFileRegularOnly: a directory or a named pipe is refused with
// a message naming it, on both write paths, instead of being stored as
// whatever its size says (a pipe's is 0).
func TestPutBlobFileRegularOnly(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() { // the open of a fifo waits for a writer
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Write([]byte("data"))
			w.Close()
		}
	}()
	remote := datastore.NewStore(onlyBackend{s.Backend()}, "Flow")
	for _, c := range []struct {
		st   *datastore.Store
		path string
	}{{s, t.TempDir()}, {remote, t.TempDir()}, {s, fifo}} { // one writer: the fifo is tried once
		if _, _, err := c.st.Blobs().PutFile(ctx, c.path); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Blobs.PutFile(%s) = %v, want a refusal: not a regular file", c.path, err)
		}
	}
}
