// Package datastoretest is the conformance suite every datastore.Backend
// passes. A backend's test calls Run with a constructor of empty backends.
package datastoretest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stepflow/stepflow/internal/datastore"
)

// Run runs the conformance suite. newBackend returns a new, empty backend
// each time it is called.
func Run(t *testing.T, newBackend func(t *testing.T) datastore.Backend) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newBackend(t)) })
	t.Run("Readers", func(t *testing.T) { testReaders(t, newBackend(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newBackend(t)) })
	t.Run("List", func(t *testing.T) { testList(t, newBackend(t)) })
	t.Run("Dirs", func(t *testing.T) { testDirs(t, newBackend(t)) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, newBackend(t)) })
	t.Run("ConcurrentSaveSameName", func(t *testing.T) { testConcurrentSave(t, newBackend(t)) })
	t.Run("Large", func(t *testing.T) { testLarge(t, newBackend(t)) })
	t.Run("FailedSave", func(t *testing.T) { testFailedSave(t, newBackend(t)) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, newBackend(t)) })
	t.Run("Remove", func(t *testing.T) { testRemove(t, newBackend(t)) })
	t.Run("StoreLogParts", func(t *testing.T) { testLogParts(t, newBackend(t)) })
	if _, ok := newBackend(t).(datastore.Stager); ok {
		t.Run("Stage", func(t *testing.T) { testStage(t, newBackend(t)) })
	}
}

func save(t *testing.T, b datastore.Backend, name string, data []byte) {
	t.Helper()
	if err := b.Save(context.Background(), name, bytes.NewReader(data)); err != nil {
		t.Fatalf("Save(%q): %v", name, err)
	}
}

func load(t *testing.T, b datastore.Backend, name string) []byte {
	t.Helper()
	rc, err := b.Load(context.Background(), name)
	if err != nil {
		t.Fatalf("Load(%q): %v", name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Load(%q): read: %v", name, err)
	}
	return data
}

func testRoundTrip(t *testing.T, b datastore.Backend) {
	ctx := context.Background()
	cases := map[string][]byte{
		"f/a":                        []byte("hello"),
		"f/empty":                    {},
		"Flow/runs/1/start/0/1/x.js": []byte(`{"a":1}`),
		"Flow/runs/1/end/3-1-2/0/y":  bytes.Repeat([]byte{0, 1, 2}, 1000),
	}
	for name, data := range cases {
		save(t, b, name, data)
	}
	for name, data := range cases {
		if got := load(t, b, name); !bytes.Equal(got, data) {
			t.Errorf("Load(%q) = %d bytes, want %d", name, len(got), len(data))
		}
		size, err := b.Stat(ctx, name)
		if err != nil || size != int64(len(data)) {
			t.Errorf("Stat(%q) = %d, %v; want %d, nil", name, size, err, len(data))
		}
	}
}

// testReaders saves from the readers a backend may treat specially (bytes
// in memory) and from plain ones: each object holds what was left to read.
func testReaders(t *testing.T, b datastore.Backend) {
	ctx := context.Background()
	data := []byte(`{"run": "1", "step": "start"}`)
	read := func(r io.Reader, n int) io.Reader {
		if _, err := io.ReadFull(r, make([]byte, n)); err != nil {
			t.Fatal(err)
		}
		return r
	}
	cases := []struct {
		name string
		rd   io.Reader
		want []byte
	}{
		{"bytes", bytes.NewReader(data), data},
		{"bytes-part-read", read(bytes.NewReader(data), 5), data[5:]},
		{"bytes-all-read", read(bytes.NewReader(data), len(data)), nil},
		{"string", strings.NewReader(string(data)), data},
		{"string-part-read", read(strings.NewReader(string(data)), 3), data[3:]},
		{"buffer", bytes.NewBuffer(slices.Clone(data)), data},
		{"buffer-empty", new(bytes.Buffer), nil},
		{"one-byte-reads", iotest.OneByteReader(bytes.NewReader(data)), data},
		{"pieces", io.MultiReader(bytes.NewReader(data[:1]), strings.NewReader(string(data[1:]))), data},
	}
	for _, c := range cases {
		if err := b.Save(ctx, "r/"+c.name, c.rd); err != nil {
			t.Fatalf("Save(%s): %v", c.name, err)
		}
		if got := load(t, b, "r/"+c.name); !bytes.Equal(got, c.want) {
			t.Errorf("Save(%s) stored %q, want %q", c.name, got, c.want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Save(cctx, "r/cancelled", bytes.NewReader(data)); err == nil {
		t.Error("Save of a *bytes.Reader with a cancelled context succeeded")
	}
	if _, err := b.Stat(ctx, "r/cancelled"); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Save with a cancelled context stored an object (Stat err %v)", err)
	}
}

func testNotFound(t *testing.T, b datastore.Backend) {
	ctx := context.Background()
	save(t, b, "a/b/c", []byte("x"))
	for _, name := range []string{"missing", "a/missing", "a/b", "a/b/c/d"} {
		if _, err := b.Load(ctx, name); !errors.Is(err, datastore.ErrNotFound) {
			t.Errorf("Load(%q) error = %v, want ErrNotFound", name, err)
		}
		if _, err := b.Stat(ctx, name); !errors.Is(err, datastore.ErrNotFound) {
			t.Errorf("Stat(%q) error = %v, want ErrNotFound", name, err)
		}
	}
}

func list(t *testing.T, b datastore.Backend, prefix string) []string {
	t.Helper()
	var names []string
	err := b.List(context.Background(), prefix, func(name string, size int64) error {
		names = append(names, fmt.Sprintf("%s:%d", name, size))
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return names
}

func testList(t *testing.T, b datastore.Backend) {
	// Names chosen so directory-walk order differs from lexical order.
	names := []string{"f/a.txt", "f/a/b", "f/a/c/d", "f/a-1", "f/ab", "f/b", "g/a", "f0"}
	for i, n := range slices.Backward(names) {
		save(t, b, n, bytes.Repeat([]byte("x"), i))
	}
	want := func(ns ...string) []string {
		var out []string
		for _, n := range ns {
			out = append(out, fmt.Sprintf("%s:%d", n, slices.Index(names, n)))
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", want(names...)},
		{"f/", want("f/a.txt", "f/a/b", "f/a/c/d", "f/a-1", "f/ab", "f/b")},
		{"f/a", want("f/a.txt", "f/a/b", "f/a/c/d", "f/a-1", "f/ab")},
		{"f/a/", want("f/a/b", "f/a/c/d")},
		{"f", want("f/a.txt", "f/a/b", "f/a/c/d", "f/a-1", "f/ab", "f/b", "f0")},
		{"f/a/c/d", want("f/a/c/d")},
		{"nope/", nil},
		{"f/zz", nil},
	} {
		got := list(t, b, tc.prefix)
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
		if !slices.IsSorted(got) {
			t.Errorf("List(%q) not sorted: %q", tc.prefix, got)
		}
	}
	// An error from fn stops the listing and is returned.
	stop := errors.New("stop")
	n := 0
	err := b.List(context.Background(), "f/", func(string, int64) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("List with failing fn: err=%v calls=%d; want stop, 1", err, n)
	}
}

func testOverwrite(t *testing.T, b datastore.Backend) {
	data := []byte("same content")
	save(t, b, "o/x", data)
	save(t, b, "o/x", data)
	if got := load(t, b, "o/x"); !bytes.Equal(got, data) {
		t.Errorf("after re-save: %q", got)
	}
	if got := list(t, b, "o/"); len(got) != 1 {
		t.Errorf("after re-save List = %q, want one object", got)
	}
}

func testConcurrentSave(t *testing.T, b datastore.Backend) {
	data := make([]byte, 256<<10)
	fillRandom(data, 1)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			errs <- b.Save(context.Background(), "c/same", bytes.NewReader(data))
		})
	}
	// Readers racing the writers see nothing or the whole object.
	for range 20 {
		rc, err := b.Load(context.Background(), "c/same")
		if errors.Is(err, datastore.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("concurrent Load saw %d bytes (err %v), want whole object", len(got), err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Save: %v", err)
		}
	}
	if got := load(t, b, "c/same"); !bytes.Equal(got, data) {
		t.Errorf("after concurrent saves: got %d bytes", len(got))
	}
	if got := list(t, b, "c/"); len(got) != 1 {
		t.Errorf("after concurrent saves List = %q, want one object", got)
	}
}

func testLarge(t *testing.T, b datastore.Backend) {
	data := make([]byte, 5<<20+123)
	fillRandom(data, 2)
	save(t, b, "big/one", data)
	if got := load(t, b, "big/one"); !bytes.Equal(got, data) {
		t.Errorf("large object: got %d bytes, want %d", len(got), len(data))
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("reader broke")
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func testFailedSave(t *testing.T, b datastore.Backend) {
	ctx := context.Background()
	if err := b.Save(ctx, "fail/x", &failingReader{n: 1000}); err == nil {
		t.Fatal("Save with failing reader succeeded")
	}
	if _, err := b.Stat(ctx, "fail/x"); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("after failed Save, Stat error = %v, want ErrNotFound", err)
	}
	if got := list(t, b, ""); len(got) != 0 {
		t.Errorf("after failed Save, List = %q, want nothing", got)
	}
	// A failed re-save leaves the existing object intact.
	save(t, b, "fail/y", []byte("keep"))
	if err := b.Save(ctx, "fail/y", &failingReader{n: 2}); err == nil {
		t.Fatal("Save with failing reader succeeded")
	}
	if got := load(t, b, "fail/y"); string(got) != "keep" {
		t.Errorf("after failed re-save: %q, want %q", got, "keep")
	}
}

func testCancelled(t *testing.T, b datastore.Backend) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Save(ctx, "cx/a", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Save with cancelled context: %v, want context.Canceled", err)
	}
	if _, err := b.Stat(context.Background(), "cx/a"); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("cancelled Save stored an object (Stat err %v)", err)
	}
	save(t, b, "cx/b", []byte("x"))
	if err := b.List(ctx, "", func(string, int64) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("List with cancelled context: %v, want context.Canceled", err)
	}
	// Cancellation during a streaming save stores nothing.
	ctx2, cancel2 := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	go func() {
		pw.Write(make([]byte, 1000))
		cancel2()
		pw.Write(make([]byte, 1000))
		pw.Close()
	}()
	if err := b.Save(ctx2, "cx/c", pr); err == nil {
		t.Error("Save cancelled mid-stream succeeded")
	}
	pr.Close()
	if _, err := b.Stat(context.Background(), "cx/c"); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Save cancelled mid-stream stored an object (Stat err %v)", err)
	}
}

func fillRandom(b []byte, seed uint64) {
	r := rand.NewChaCha8([32]byte{byte(seed)})
	var buf [8]byte
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(buf[:], r.Uint64())
		copy(b[i:], buf[:])
	}
}

func dirs(t *testing.T, b datastore.Backend, prefix string) []string {
	t.Helper()
	var got []string
	if err := b.Dirs(context.Background(), prefix, func(elem string) error {
		got = append(got, elem)
		return nil
	}); err != nil {
		t.Fatalf("Dirs(%q): %v", prefix, err)
	}
	return got
}

func testDirs(t *testing.T, b datastore.Backend) {
	if got := dirs(t, b, ""); len(got) != 0 {
		t.Fatalf("Dirs of an empty backend = %q, want none", got)
	}
	for _, name := range []string{"B/runs/1/run.json", "A/index/1", "A/runs/1/run.json", "A/runs/2/x/y", "top", "C-1/z", "A/leaf"} {
		save(t, b, name, []byte(name))
	}
	for prefix, want := range map[string][]string{
		"":              {"A", "B", "C-1"},
		"A/":            {"index", "runs"},
		"A/runs/":       {"1", "2"},
		"A/runs/2/":     {"x"},
		"A/runs/2/x/":   nil,
		"Missing/":      nil,
		"A/runs/1/run/": nil,
	} {
		if got := dirs(t, b, prefix); !slices.Equal(got, want) {
			t.Errorf("Dirs(%q) = %q, want %q", prefix, got, want)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := b.Dirs(context.Background(), "", func(string) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Dirs with fn failing: err %v after %d calls, want the fn's error after 1", err, n)
	}
	for _, bad := range []string{"A", "/A/", "A//", "../"} {
		if err := b.Dirs(context.Background(), bad, func(string) error { return nil }); err == nil {
			t.Errorf("Dirs(%q) accepted an invalid prefix", bad)
		}
	}
}

// testRemove: a removed object is not found, not listed, and can be saved
// again; removing a missing object succeeds; its neighbours stay.
func testRemove(t *testing.T, b datastore.Backend) {
	ctx := context.Background()
	save(t, b, "r/a/x", []byte("x"))
	save(t, b, "r/a/y", []byte("y"))
	if err := b.Remove(ctx, "r/a/x"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := b.Stat(ctx, "r/a/x"); !errors.Is(err, datastore.ErrNotFound) {
		t.Fatalf("Stat after Remove: %v, want ErrNotFound", err)
	}
	if got := list(t, b, "r/"); !slices.Equal(got, []string{"r/a/y:1"}) {
		t.Fatalf("List after Remove = %q, want [r/a/y]", got)
	}
	if err := b.Remove(ctx, "r/a/x"); err != nil {
		t.Fatalf("Remove of a missing object: %v", err)
	}
	if err := b.Remove(ctx, "r/../x"); err == nil {
		t.Fatalf("Remove of an invalid name succeeded")
	}
	save(t, b, "r/a/x", []byte("again"))
	if got := string(load(t, b, "r/a/x")); got != "again" {
		t.Fatalf("load after re-save = %q", got)
	}
}

// testLogParts checks a Store's logs on the backend: the parts of a
// running attempt's output joined in order (a gap ending them), then the
// final log in their place.
func testLogParts(t *testing.T, b datastore.Backend) {
	ctx := context.Background()
	s := datastore.NewStore(b, "F")
	read := func() (string, error) {
		t.Helper()
		rc, err := s.Logs().Open(ctx, "r", "train", "0", 1, "stdout")
		if err != nil {
			return "", err
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("read the log: %v", err)
		}
		return string(data), nil
	}
	if _, err := read(); !errors.Is(err, datastore.ErrNotFound) {
		t.Fatalf("Log before any output = %v, want ErrNotFound", err)
	}
	put := func(part int, text string) {
		t.Helper()
		if err := s.Logs().PutPart(ctx, "r", "train", "0", 1, "stdout", part, strings.NewReader(text)); err != nil {
			t.Fatalf("Logs.PutPart(%d): %v", part, err)
		}
	}
	put(1, "epoch 1\n")
	put(2, "epoch 2\n")
	put(4, "after a gap\n") // not joined until part 3 exists
	if got, err := read(); err != nil || got != "epoch 1\nepoch 2\n" {
		t.Errorf("Log from parts 1, 2 and 4 = %q, %v; want parts 1 and 2", got, err)
	}
	put(3, "epoch 3\n")
	if got, err := read(); err != nil || got != "epoch 1\nepoch 2\nepoch 3\nafter a gap\n" {
		t.Errorf("Log from parts 1-4 = %q, %v", got, err)
	}
	if _, err := s.Logs().Open(ctx, "r", "train", "0", 1, "stderr"); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Log(stderr) with stdout parts only = %v, want ErrNotFound", err)
	}
	if err := s.Logs().PutPart(ctx, "r", "train", "0", 1, "stdout", 0, strings.NewReader("x")); err == nil {
		t.Error("Logs.PutPart(part 0) succeeded")
	}
	if err := s.Logs().PutPart(ctx, "r", "train", "0", 1, "other", 1, strings.NewReader("x")); err == nil {
		t.Error("Logs.PutPart(stream other) succeeded")
	}
	// The final log supersedes the parts.
	if err := s.Logs().Put(ctx, "r", "train", "0", 1, "stdout", strings.NewReader("the whole output\n")); err != nil {
		t.Fatal(err)
	}
	if got, err := read(); err != nil || got != "the whole output\n" {
		t.Errorf("Log after Logs.Put = %q, %v; want the final log", got, err)
	}
}

// testStage checks a Stager: a staged object is invisible until Commit,
// Commit names it (replacing an object of that name), Discard and a
// cancelled Commit leave nothing behind.
func testStage(t *testing.T, b datastore.Backend) {
	ctx := context.Background()
	st := b.(datastore.Stager)
	if _, err := st.Stage(ctx, "bad//dir"); err == nil {
		t.Error("Stage with an invalid directory name succeeded")
	}
	data := make([]byte, 3<<20+7)
	fillRandom(data, 9)
	w, err := st.Stage(ctx, "st/blobs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:1000]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[1000:]); err != nil {
		t.Fatal(err)
	}
	if got := list(t, b, ""); len(got) != 0 {
		t.Errorf("before Commit, List = %q, want nothing", got)
	}
	if err := w.Commit(ctx, "st/blobs/ab/x"); err != nil {
		t.Fatal(err)
	}

	// WriteAt: pieces at their offsets, out of order and from two
	// goroutines, after a header appended with Write.
	w, err = st.Stage(ctx, "st/blobs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:5]); err != nil {
		t.Fatal(err)
	}
	const piece = 1 << 20
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for g := range 2 {
		wg.Go(func() {
			for off := 5 + int64(1-g)*piece; off < int64(len(data)); off += 2 * piece {
				if _, err := w.WriteAt(data[off:min(off+piece, int64(len(data)))], off); err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("WriteAt: %v", err)
	}
	if err := w.Commit(ctx, "st/blobs/ab/w"); err != nil {
		t.Fatal(err)
	}
	if got := load(t, b, "st/blobs/ab/w"); !bytes.Equal(got, data) {
		t.Errorf("object written with WriteAt: %d bytes, want the %d written", len(got), len(data))
	}
	if err := b.Remove(ctx, "st/blobs/ab/w"); err != nil {
		t.Fatal(err)
	}
	w.Discard() // after Commit: nothing happens
	if got := load(t, b, "st/blobs/ab/x"); !bytes.Equal(got, data) {
		t.Errorf("committed object: %d bytes, want the %d written", len(got), len(data))
	}
	if err := w.Commit(ctx, "st/blobs/ab/y"); err == nil {
		t.Error("second Commit of one staged object succeeded")
	}

	// Commit replaces an object of the same name.
	save(t, b, "st/blobs/cd/y", []byte("old"))
	w, err = st.Stage(ctx, "st/blobs")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("new"))
	if err := w.Commit(ctx, "st/blobs/cd/y"); err != nil {
		t.Fatal(err)
	}
	if got := load(t, b, "st/blobs/cd/y"); string(got) != "new" {
		t.Errorf("after Commit over an object: %q, want %q", got, "new")
	}

	// Discard, and a Commit with a cancelled context, store nothing.
	w, err = st.Stage(ctx, "st/blobs")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("dropped"))
	w.Discard()
	w.Discard()
	w, err = st.Stage(ctx, "st/blobs")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("cancelled"))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := w.Commit(cctx, "st/blobs/ef/z"); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit with a cancelled context: %v, want context.Canceled", err)
	}
	w.Discard()
	if got, want := list(t, b, ""), []string{"st/blobs/ab/x:3145735", "st/blobs/cd/y:3"}; !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
}
