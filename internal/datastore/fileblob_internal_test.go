package datastore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// memAt is an io.WriterAt into memory, safe for concurrent use.
type memAt struct {
	mu sync.Mutex
	b  []byte
}

func (m *memAt) WriteAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := int(off) + len(p); n > len(m.b) {
		m.b = append(m.b, make([]byte, n-len(m.b))...)
	}
	return copy(m.b[off:], p), nil
}

// TestCopyLeavesRefusesChange: a file that grew, shrank or was rewritten
// after the stat Blobs.PutFile took is refused, not stored under a name of
// bytes it may not hold; an unchanged one is copied whole at its offset.
func TestCopyLeavesRefusesChange(t *testing.T) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("stepflow"), 3*TreeLeaf/8+5)
	for _, c := range []struct {
		name   string
		change func(path string)
		want   string
	}{
		{"unchanged", func(string) {}, ""},
		{"grew", func(p string) {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte("more"))
			f.Close()
		}, "changed while it was being stored"},
		{"shrank", func(p string) { os.Truncate(p, int64(len(data)-TreeLeaf)) }, "shorter than"},
		{"rewritten", func(p string) {
			os.WriteFile(p, bytes.ToUpper(data), 0o644)
			later := time.Now().Add(time.Minute)
			os.Chtimes(p, later, later)
		}, "changed while it was being stored"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			before, _ := f.Stat()
			c.change(path)
			var dst memAt
			hash, err := copyLeaves(ctx, &dst, 3, f, before)
			if c.want == "" {
				if err != nil || hash != TreeHash(data) || !bytes.Equal(dst.b[3:], data) {
					t.Fatalf("copyLeaves = %s, %v (%d bytes); want %s and the file", hash, err, len(dst.b), TreeHash(data))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("copyLeaves after the file %s: %v, want an error saying %q", c.name, err, c.want)
			}
		})
	}
	// A cancelled context stops it.
	path := filepath.Join(t.TempDir(), "in")
	os.WriteFile(path, data, 0o644)
	f, _ := os.Open(path)
	defer f.Close()
	before, _ := f.Stat()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := copyLeaves(cctx, nil, 0, f, before); err != context.Canceled {
		t.Errorf("copyLeaves with a cancelled context: %v, want context.Canceled", err)
	}
}
