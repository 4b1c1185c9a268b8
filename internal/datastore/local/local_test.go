package local_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/datastoretest"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

func TestConformance(t *testing.T) {
	for _, sync := range []bool{false, true} {
		name := "NoSync"
		if sync {
			name = "Sync"
		}
		t.Run(name, func(t *testing.T) {
			datastoretest.Run(t, func(t *testing.T) datastore.Backend {
				b, err := local.New(t.TempDir(), local.Options{Sync: sync})
				if err != nil {
					t.Fatal(err)
				}
				return b
			})
		})
	}
}

func TestInvalidNames(t *testing.T) {
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"", "/abs", "a//b", "a/../b", "a/./b", "a/", ".hidden", "a/.tmp-x"} {
		if err := b.Save(ctx, name, strings.NewReader("x")); err == nil {
			t.Errorf("Save(%q) succeeded, want error", name)
		}
		if _, err := b.Load(ctx, name); err == nil {
			t.Errorf("Load(%q) succeeded, want error", name)
		}
	}
}

// TestLeftoverTempFiles: a temporary file a killed writer left behind is
// never listed, and the next writer in its directory removes it once it is
// older than TempGrace; a younger one (a writer still at work) stays.
func TestLeftoverTempFiles(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	dir := filepath.Join(root, "F", "blobs", "ab")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".tmp-abc-123")
	fresh := filepath.Join(dir, ".tmp-abd-456")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-local.TempGrace - time.Minute)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	if err := b.List(ctx, "F/", func(name string, _ int64) error { listed = append(listed, name); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 0 {
		t.Fatalf("List shows temporary files: %q", listed)
	}
	if err := b.Save(ctx, "F/blobs/ab/abe", strings.NewReader("blob")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file survived the next write in its directory: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary file (a live writer's) was removed: %v", err)
	}
}

// TestEmptyObjectInPlace: an empty object (an attempt index entry) is
// created at its name, without a temporary file, in a directory Save
// creates; saving it again succeeds and keeps it; objects get the
// permissions of ordinary files, empty or not.
func TestEmptyObjectInPlace(t *testing.T) {
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	umask := syscall.Umask(0o022)
	syscall.Umask(umask)
	for _, name := range []string{"F/runs/r/attempt-index/s/0.0.succeeded.1.2.0", "F/runs/r/s/0/0/attempt.json"} {
		content := ""
		if strings.HasSuffix(name, ".json") {
			content = "{}"
		}
		for range 2 {
			if err := b.Save(ctx, name, strings.NewReader(content)); err != nil {
				t.Fatalf("Save(%s): %v", name, err)
			}
		}
		fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != int64(len(content)) || fi.Mode().Perm() != 0o644&^fs.FileMode(umask) {
			t.Errorf("%s: size %d mode %v, want %d and %v", name, fi.Size(), fi.Mode().Perm(), len(content), 0o644&^fs.FileMode(umask))
		}
		entries, err := os.ReadDir(filepath.Dir(filepath.Join(root, filepath.FromSlash(name))))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Errorf("directory of %s holds %d entries, want the object alone", name, len(entries))
		}
	}
	// A directory where the empty object's name should be is an error,
	// not a success.
	if err := os.MkdirAll(filepath.Join(root, "F", "d", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, "F/d/x", strings.NewReader("")); err == nil {
		t.Error("Save of an empty object over a directory succeeded")
	}
}

// TestEmptyObjectNoSweep: saving an empty object does not sweep its
// directory (an attempt index directory holds one entry per attempt; a
// sweep per task process would make a foreach quadratic); the next
// non-empty save there does.
func TestEmptyObjectNoSweep(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "F", "runs", "r", "attempt-index", "s")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".tmp-x-1")
	if err := os.WriteFile(stale, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-local.TempGrace - time.Minute)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Save(ctx, "F/runs/r/attempt-index/s/0.0.running.1.0.0", strings.NewReader("")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err != nil {
		t.Fatalf("an empty object's save swept its directory: %v", err)
	}
	if err := b.Save(ctx, "F/runs/r/attempt-index/s/x", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a non-empty save did not sweep: %v", err)
	}
}

// TestEmptyObjectsLinked: empty objects are hard links of one shared empty
// file (no inode each), which List never shows; a shared file that went
// missing or was written into is replaced, and objects linked before keep
// reading as what they are.
func TestEmptyObjectsLinked(t *testing.T) {
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	save := func(name string) os.FileInfo {
		t.Helper()
		if err := b.Save(ctx, name, strings.NewReader("")); err != nil {
			t.Fatalf("Save(%s): %v", name, err)
		}
		fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil || fi.Size() != 0 {
			t.Fatalf("%s: %v, size %d", name, err, fi.Size())
		}
		return fi
	}
	a, c := save("F/runs/r/attempt-index/s/0.0.running.1.0.0"), save("F/runs/r/attempt-index/s/1.0.running.1.0.0")
	shared, err := os.Stat(filepath.Join(root, ".empty"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, c) || !os.SameFile(a, shared) {
		t.Error("two empty objects are not links of the shared empty file")
	}
	var names []string
	if err := b.List(ctx, "", func(name string, _ int64) error { names = append(names, name); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 {
		t.Errorf("List shows %q, want the two objects alone", names)
	}

	// The shared file removed: the next empty object gets a new one.
	if err := os.Remove(filepath.Join(root, ".empty")); err != nil {
		t.Fatal(err)
	}
	d := save("F/runs/r/attempt-index/s/2.0.running.1.0.0")
	if shared, err := os.Stat(filepath.Join(root, ".empty")); err != nil || !os.SameFile(d, shared) {
		t.Errorf("after removing the shared file: %v, linked %v", err, err == nil && os.SameFile(d, shared))
	}

	// The shared file written into: a new Backend replaces it before
	// linking; the old objects are untouched by the replacement.
	if err := os.WriteFile(filepath.Join(root, ".empty"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	b2, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.Save(ctx, "F/runs/r/attempt-index/s/3.0.running.1.0.0", strings.NewReader("")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "F/runs/r/attempt-index/s/3.0.running.1.0.0"))
	if err != nil || fi.Size() != 0 {
		t.Errorf("empty object after the shared file was written into: %v, size %d", err, fi.Size())
	}
	if fi, err := os.Stat(filepath.Join(root, ".empty")); err != nil || fi.Size() != 0 {
		t.Errorf("shared file not replaced: %v", err)
	}
}

// TestEmptyObjectsLinkLimit: when the shared empty file has as many links
// as the filesystem allows (EMLINK; 65,000 on ext4), a new shared file
// takes its place and the objects linked before stay as they were.
func TestEmptyObjectsLinkLimit(t *testing.T) {
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const limit = 3 // links per shared file, counting its own name
	links := map[uint64]int{}
	local.SetLink(b, func(oldname, newname string) error {
		fi, err := os.Stat(oldname)
		if err != nil {
			return err
		}
		ino := fi.Sys().(*syscall.Stat_t).Ino
		if links[ino]+1 >= limit {
			return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: syscall.EMLINK}
		}
		if err := os.Link(oldname, newname); err != nil {
			return err
		}
		links[ino]++
		return nil
	})
	ctx := context.Background()
	var infos []os.FileInfo
	for i := range 5 {
		name := fmt.Sprintf("F/runs/r/attempt-index/s/%d.0.running.1.0.0", i)
		if err := b.Save(ctx, name, strings.NewReader("")); err != nil {
			t.Fatalf("Save(%s): %v", name, err)
		}
		fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil || fi.Size() != 0 {
			t.Fatalf("%s: %v", name, err)
		}
		infos = append(infos, fi)
	}
	// Two links per shared file: objects 0-1, 2-3 and 4 share three files.
	for i, want := range []bool{true, false, true, false} {
		if same := os.SameFile(infos[i], infos[i+1]); same != want {
			t.Errorf("objects %d and %d share a file: %v, want %v", i, i+1, same, want)
		}
	}
	if len(links) != 3 {
		t.Errorf("%d shared files linked, want 3", len(links))
	}
}

// TestSaveInMemoryNoCopyBuffer: an object already in memory (an encoded
// record) is written from its bytes, without the 32 KiB buffer of a copy.
func TestSaveInMemoryNoCopyBuffer(t *testing.T) {
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := []byte(strings.Repeat(`{"run": "1"}`, 80))
	if err := b.Save(ctx, "d/warm", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	const n = 50
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		if err := b.Save(ctx, fmt.Sprintf("d/%d", i), bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per >= 8<<10 {
		t.Errorf("Save of %d bytes in memory allocated %d bytes, want < 8 KiB (no copy buffer)", len(data), per)
	}
	got, err := os.ReadFile(filepath.Join(b.Root(), "d", "7"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored %q, %v", got, err)
	}
}

// TestSaveOverDirectory: an object is never saved over a directory (an
// empty one included), and the failed Save leaves no temporary file.
func TestSaveOverDirectory(t *testing.T) {
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Save(ctx, "a/b/c", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(b.Root(), "a", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a/b", "a/empty"} {
		if err := b.Save(ctx, name, strings.NewReader("record")); err == nil {
			t.Errorf("Save(%s) over a directory succeeded", name)
		}
		if fi, err := os.Stat(filepath.Join(b.Root(), name)); err != nil || !fi.IsDir() {
			t.Errorf("Save(%s) replaced the directory: %v", name, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(b.Root(), "a"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("a failed Save left %s", e.Name())
		}
	}
}
