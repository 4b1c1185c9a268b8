package datastore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

func newStore(t testing.TB) (*datastore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	b, err := local.New(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return datastore.NewStore(b, "Flow"), dir
}

func TestBlobRoundTrip(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	random := make([]byte, 300<<10)
	fillPayload(random, 1) // all random: stored raw
	text := bytes.Repeat([]byte("stepflow,1.25,ok\n"), 20000)
	mixed := make([]byte, 1<<20)
	fillPayload(mixed, 0.5)
	for name, data := range map[string][]byte{
		"empty": {}, "small": []byte(`{"a":1}`), "random": random, "text": text, "mixed": mixed,
	} {
		h, err := s.Blobs().Put(ctx, data)
		if err != nil {
			t.Fatalf("%s: Blobs.Put: %v", name, err)
		}
		if h != datastore.BlobHash(data) {
			t.Errorf("%s: hash %s, want %s", name, h, datastore.BlobHash(data))
		}
		// A second put is a no-op returning the same hash.
		if h2, err := s.Blobs().Put(ctx, data); err != nil || h2 != h {
			t.Errorf("%s: second Blobs.Put = %s, %v", name, h2, err)
		}
		got, err := s.Blobs().Get(ctx, h)
		if err != nil {
			t.Fatalf("%s: Blobs.Get: %v", name, err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s: Blobs.Get returned %d bytes, want %d", name, len(got), len(data))
		}
		if got := openBlob(t, s, h); !bytes.Equal(got, data) {
			t.Errorf("%s: Blobs.Open read %d bytes, want %d", name, len(got), len(data))
		}
		// The same bytes given in parts make the same blob.
		third := len(data) / 3
		if hp, err := s.Blobs().PutParts(ctx, [][]byte{data[:third], nil, data[third:]}); err != nil || hp != h {
			t.Errorf("%s: Blobs.PutParts = %s, %v; want %s", name, hp, err, h)
		}
	}
	// Parts are stored without being joined, compressed or not.
	s2, _ := newStore(t)
	for _, parts := range [][][]byte{{text[:1000], random, text}, {random[:100], random[100:]}} {
		h, err := s2.Blobs().PutParts(ctx, parts)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := openBlob(t, s2, h), bytes.Join(parts, nil); !bytes.Equal(got, want) || h != datastore.BlobHash(want) {
			t.Errorf("Blobs.PutParts of %d parts: read %d bytes, want %d", len(parts), len(got), len(want))
		}
	}
	// Compressible data is stored compressed.
	size, err := s.Backend().Stat(ctx, "Flow/blobs/"+datastore.BlobHash(text)[:2]+"/"+datastore.BlobHash(text))
	if err != nil || size > int64(len(text))/4 {
		t.Errorf("text blob stored as %d bytes (err %v), want compressed below %d", size, err, len(text)/4)
	}
	// Under 256 KiB, compressible or not, a blob is stored raw: read by
	// every task that inherits it, it is cheaper to copy than to decode.
	small := text[:200<<10]
	hs, err := s.Blobs().Put(ctx, small)
	if err != nil {
		t.Fatal(err)
	}
	if size, err := s.Backend().Stat(ctx, "Flow/blobs/"+hs[:2]+"/"+hs); err != nil || size != int64(len(small))+20 {
		t.Errorf("200 KiB text blob stored as %d bytes (err %v), want raw: %d", size, err, len(small)+20)
	}
	if _, err := s.Blobs().Get(ctx, strings.Repeat("ab", 32)); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Blobs.Get(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.Blobs().Get(ctx, "../x"); err == nil {
		t.Error("Blobs.Get(invalid hash) succeeded")
	}
}

func openBlob(t *testing.T, s *datastore.Store, h string) []byte {
	t.Helper()
	rc, size, err := s.Blobs().Open(context.Background(), h)
	if err != nil {
		t.Fatalf("Blobs.Open: %v", err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || int64(len(got)) != size {
		t.Fatalf("reading blob: %d bytes of %d, %v", len(got), size, err)
	}
	return got
}

func TestBlobCorruption(t *testing.T) {
	ctx := context.Background()
	compressible := bytes.Repeat([]byte("a compressible artifact line\n"), 50000)
	random := make([]byte, 200<<10)
	fillPayload(random, 1)
	type damage struct {
		name string
		fn   func(b []byte) []byte
	}
	damages := []damage{
		{"flip header", func(b []byte) []byte { b[9] ^= 1; return b }},
		{"flip middle", func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }},
		{"flip last", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
		{"truncate half", func(b []byte) []byte { return b[:len(b)/2] }},
		{"truncate header", func(b []byte) []byte { return b[:7] }},
		{"empty", func(b []byte) []byte { return b[:0] }},
		{"trailing data", func(b []byte) []byte { return append(b, b[len(b)-10:]...) }},
	}
	for _, kind := range []struct {
		name string
		data []byte
	}{{"s2", compressible}, {"raw", random}} {
		for _, d := range damages {
			t.Run(kind.name+"/"+d.name, func(t *testing.T) {
				s, dir := newStore(t)
				h, err := s.Blobs().Put(ctx, kind.data)
				if err != nil {
					t.Fatal(err)
				}
				key := "Flow/blobs/" + h[:2] + "/" + h
				p := filepath.Join(dir, filepath.FromSlash(key))
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, d.fn(b), 0o644); err != nil {
					t.Fatal(err)
				}
				_, err = s.Blobs().Get(ctx, h)
				if !errors.Is(err, datastore.ErrCorrupt) {
					t.Fatalf("Blobs.Get of damaged blob: %v, want ErrCorrupt", err)
				}
				if !strings.Contains(err.Error(), key) {
					t.Errorf("error %q does not name the blob %s", err, key)
				}
				// Streaming reads detect the damage by their end.
				rc, _, err := s.Blobs().Open(ctx, h)
				if err == nil {
					_, err = io.Copy(io.Discard, rc)
					rc.Close()
				}
				if !errors.Is(err, datastore.ErrCorrupt) || !strings.Contains(err.Error(), key) {
					t.Fatalf("reading damaged blob with Blobs.Open: %v, want ErrCorrupt naming %s", err, key)
				}
			})
		}
	}
}

func TestRecords(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, id := range []string{"r1", "r2", "r3"} {
		r := datastore.Run{ID: id, Start: t0.Add(time.Duration(i%2) * time.Hour), Runtime: "local",
			Params: map[string]string{"alpha": "0.5"}, Tags: []string{"x"}}
		if err := s.Runs().Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Runs().Put(ctx, datastore.Run{Flow: "Other", ID: "r9"}); err == nil {
		t.Error("Runs.Put with another flow succeeded")
	}
	r, end, err := s.Runs().Get(ctx, "r1")
	if err != nil || end != nil || r.Flow != "Flow" || r.Params["alpha"] != "0.5" || !r.Start.Equal(t0) {
		t.Fatalf("Run(r1) = %+v, %v, %v", r, end, err)
	}
	if err := s.Runs().PutEnd(ctx, "r1", datastore.RunEnd{Status: "succeeded", End: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, end, err = s.Runs().Get(ctx, "r1"); err != nil || end == nil || end.Status != "succeeded" {
		t.Fatalf("Run(r1) end = %+v, %v", end, err)
	}
	if _, _, err := s.Runs().Get(ctx, "nope"); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Run(nope) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.Runs().Get(ctx, "../x"); err == nil {
		t.Error("Run(../x) succeeded")
	}

	// Attempts and tasks.
	for _, a := range []datastore.Attempt{
		{Run: "r2", Step: "start", Task: "0", Attempt: 0, Status: "succeeded", ForeachWidth: 12},
		{Run: "r2", Step: "body", Task: "10", Attempt: 0, Status: "failed"},
		{Run: "r2", Step: "body", Task: "10", Attempt: 1, Status: "failed"},
		{Run: "r2", Step: "body", Task: "10", Attempt: 2, Status: "succeeded",
			Artifacts: map[string]datastore.ArtifactRef{"x": {Hash: "h", Encoding: "json", Size: 1, Type: "int"}},
			Indices:   []int{10}, Inputs: []string{"r2/start/0"}},
		{Run: "r2", Step: "body", Task: "2", Attempt: 0, Status: "succeeded"},
		{Run: "r2", Step: "body", Task: "3-10-1", Attempt: 0, Status: "succeeded"},
		{Run: "r2", Step: "body", Task: "3-2", Attempt: 0, Status: "succeeded"},
	} {
		if err := s.Attempts().Put(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	// Attempt 10 sorts after 9 and 2 numerically.
	for n := 3; n <= 10; n++ {
		if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r2", Step: "body", Task: "2", Attempt: n, Status: "failed"}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.Attempts().Latest(ctx, "r2", "body", "10")
	if err != nil || a.Attempt != 2 || a.Status != "succeeded" || a.Artifacts["x"].Type != "int" || a.Inputs[0] != "r2/start/0" {
		t.Errorf("Attempts.Latest(body/10) = %+v, %v", a, err)
	}
	if a, err := s.Attempts().Latest(ctx, "r2", "body", "2"); err != nil || a.Attempt != 10 {
		t.Errorf("Attempts.Latest(body/2) = %d, %v; want 10", a.Attempt, err)
	}
	if _, err := s.Attempts().Latest(ctx, "r2", "body", "99"); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Attempts.Latest(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.Attempts().Get(ctx, "r2", "body", "10", 5); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Attempt(missing) = %v, want ErrNotFound", err)
	}
	if got, err := s.Attempts().Get(ctx, "r2", "start", "0", 0); err != nil || got.ForeachWidth != 12 {
		t.Errorf("Attempt(start/0/0) = %+v, %v", got, err)
	}
	steps, err := s.Attempts().Steps(ctx, "r2")
	if want := []string{"body", "start"}; err != nil || !slices.Equal(steps, want) {
		t.Errorf("Steps = %q, %v; want %q", steps, err, want)
	}
	tasks, err := s.Attempts().Tasks(ctx, "r2", "body")
	if want := []string{"2", "3-2", "3-10-1", "10"}; err != nil || !slices.Equal(tasks, want) {
		t.Errorf("Tasks = %q, %v; want %q", tasks, err, want)
	}

	// Runs are newest first; ties by id descending. r2 started an hour later.
	runs, err := s.Runs().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	if want := []string{"r2", "r3", "r1"}; !slices.Equal(ids, want) {
		t.Errorf("Runs = %q, want %q", ids, want)
	}

	// Logs.
	if err := s.Logs().Put(ctx, "r2", "body", "2", 0, "stdout", strings.NewReader("hello\n")); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Logs().Open(ctx, "r2", "body", "2", 0, "stdout")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(rc)
	rc.Close()
	if string(out) != "hello\n" {
		t.Errorf("Log = %q", out)
	}
	if _, err := s.Logs().Open(ctx, "r2", "body", "2", 0, "stderr"); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Log(missing) = %v, want ErrNotFound", err)
	}
	if err := s.Logs().Put(ctx, "r2", "body", "2", 0, "other", strings.NewReader("")); err == nil {
		t.Error("Logs.Put(other stream) succeeded")
	}
}

func TestCorruptRecord(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "s", Task: "0", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "Flow", "runs", "r", "s", "0", "0", "attempt.json")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.Attempts().Get(ctx, "r", "s", "0", 0)
	if !errors.Is(err, datastore.ErrCorrupt) || !strings.Contains(err.Error(), "Flow/runs/r/s/0/0/attempt.json") {
		t.Errorf("Attempt(empty file) = %v, want ErrCorrupt naming the key", err)
	}
}

func TestCompareTaskIDs(t *testing.T) {
	ids := []string{"10", "3-10", "3-2-1", "3", "2", "a", "3-2"}
	slices.SortFunc(ids, datastore.CompareTaskIDs)
	if want := []string{"2", "3", "3-2", "3-2-1", "3-10", "10", "a"}; !slices.Equal(ids, want) {
		t.Errorf("sorted = %q, want %q", ids, want)
	}
}

func TestPutBlobFile(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	path, data := inputFile(t, dir, "input.bin", 1<<20+3, 0.5)
	h, size, err := s.Blobs().PutFile(ctx, path)
	if err != nil || size != int64(len(data)) || h != datastore.TreeHash(data) {
		t.Fatalf("Blobs.PutFile = %s, %d, %v; want %s, %d", h, size, err, datastore.TreeHash(data), len(data))
	}
	if got := openBlob(t, s, h); !bytes.Equal(got, data) {
		t.Errorf("read back %d bytes, want %d", len(got), len(data))
	}
	if _, _, err := s.Blobs().PutFile(ctx, filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}

// tempFiles returns the temporary files left anywhere under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			found = append(found, p)
		}
		return nil
	})
	return found
}

// TestPutBlobStaged covers the one-pass writes of large blobs on the local
// backend (a Stager): content and codec round trip, an intact blob is kept
// (not rewritten), a damaged one is replaced, cancellation stores nothing,
// and no temporary file is left.
func TestPutBlobStaged(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	data := make([]byte, 3<<20+5) // above the staging threshold
	fillPayload(data, 0.5)
	parts := [][]byte{data[:7], data[7 : 1<<20], data[1<<20:]}
	h, err := s.Blobs().PutParts(ctx, parts)
	if err != nil || h != datastore.BlobHash(data) {
		t.Fatalf("Blobs.PutParts = %s, %v; want %s", h, err, datastore.BlobHash(data))
	}
	if got := openBlob(t, s, h); !bytes.Equal(got, data) {
		t.Fatal("staged blob reads back different bytes")
	}
	blob := filepath.Join(dir, "Flow", "blobs", h[:2], h)
	fi, err := os.Stat(blob)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() >= int64(len(data)) {
		t.Errorf("half-text blob stored in %d bytes, want it compressed below %d", fi.Size(), len(data))
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("blob mode %v, want 0644", fi.Mode().Perm())
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(blob, old, old)
	if h2, err := s.Blobs().Put(ctx, data); err != nil || h2 != h {
		t.Fatalf("second Blobs.Put = %s, %v", h2, err)
	}
	if fi, _ := os.Stat(blob); !fi.ModTime().Equal(old) {
		t.Error("an intact blob was written again")
	}

	random := make([]byte, 2<<20)
	fillPayload(random, 1)
	hr, err := s.Blobs().Put(ctx, random)
	if err != nil {
		t.Fatal(err)
	}
	rawBlob := filepath.Join(dir, "Flow", "blobs", hr[:2], hr)
	if fi, _ := os.Stat(rawBlob); fi.Size() != int64(len(random))+20 {
		t.Errorf("random blob stored in %d bytes, want raw: %d", fi.Size(), len(random)+20)
	}
	if got := openBlob(t, s, hr); !bytes.Equal(got, random) {
		t.Fatal("raw staged blob reads back different bytes")
	}
	// A raw blob of the wrong length is not intact: Blobs.Put replaces it.
	if err := os.Truncate(rawBlob, 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blobs().Put(ctx, random); err != nil {
		t.Fatal(err)
	}
	if got := openBlob(t, s, hr); !bytes.Equal(got, random) {
		t.Fatal("a truncated blob was not replaced")
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	other := bytes.Repeat([]byte("x"), 2<<20)
	if _, err := s.Blobs().Put(cctx, other); !errors.Is(err, context.Canceled) {
		t.Errorf("Blobs.Put with a cancelled context: %v, want context.Canceled", err)
	}
	if ok, _ := s.Blobs().Has(ctx, datastore.BlobHash(other)); ok {
		t.Error("a cancelled Blobs.Put stored its blob")
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}

// TestPutBlobFileStaged covers the one-pass file store: dedupe, repair of
// a damaged blob, an empty file, cancellation, no temporary file left.
func TestPutBlobFileStaged(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	path, data := inputFile(t, dir, "input.bin", 4<<20, 1) // a multiple of the copy buffer
	h, _, err := s.Blobs().PutFile(ctx, path)
	if err != nil || h != datastore.TreeHash(data) {
		t.Fatalf("Blobs.PutFile = %s, %v", h, err)
	}
	blob := filepath.Join(dir, "Flow", "blobs", h[:2], h)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(blob, old, old)
	if _, _, err := s.Blobs().PutFile(ctx, path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(blob); !fi.ModTime().Equal(old) {
		t.Error("an intact blob was written again")
	}
	if err := os.Truncate(blob, 1000); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Blobs().PutFile(ctx, path); err != nil {
		t.Fatal(err)
	}
	if got := openBlob(t, s, h); !bytes.Equal(got, data) {
		t.Fatal("a truncated file blob was not replaced")
	}

	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	if he, size, err := s.Blobs().PutFile(ctx, empty); err != nil || size != 0 || he != datastore.TreeHash(nil) {
		t.Errorf("empty file: %s, %d, %v", he, size, err)
	} else if got := openBlob(t, s, he); len(got) != 0 {
		t.Errorf("empty file reads back %d bytes", len(got))
	}

	other := filepath.Join(dir, "other")
	os.WriteFile(other, data[:3<<20], 0o644)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.Blobs().PutFile(cctx, other); !errors.Is(err, context.Canceled) {
		t.Errorf("Blobs.PutFile with a cancelled context: %v, want context.Canceled", err)
	}
	if ok, _ := s.Blobs().Has(ctx, datastore.TreeHash(data[:3<<20])); ok {
		t.Error("a cancelled Blobs.PutFile stored its blob")
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}

// onlyBackend hides every optional interface of the backend it holds (as
// a backend like S3 has none).
type onlyBackend struct{ datastore.Backend }

// TestOpenFileBlob: on the local backend a file blob is read from its own
// file after a header and length check; elsewhere it is verified in full.
func TestOpenFileBlob(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	path, data := inputFile(t, dir, "in", 2<<20+11, 1)
	h, _, err := s.Blobs().PutFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rc, size, err := s.Blobs().OpenFile(ctx, h)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Blobs.OpenFile = %d, %v", size, err)
	}
	if _, ok := rc.(*os.File); !ok {
		t.Errorf("local Blobs.OpenFile returned %T, want the blob's *os.File", rc)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, %v; want the file's %d", len(got), err, len(data))
	}
	// A compressed blob (not written by Blobs.PutFile; 330 KB, above the
	// size under which blobs are stored raw) is decoded.
	text := bytes.Repeat([]byte("row,12.34,sensor-7,ok\n"), 15000)
	ht, _ := s.Blobs().Put(ctx, text)
	if fi, err := os.Stat(filepath.Join(dir, "Flow", "blobs", ht[:2], ht)); err != nil || fi.Size() >= int64(len(text)) {
		t.Fatalf("the text blob is not stored compressed: %v", err)
	}
	if rc, _, err := s.Blobs().OpenFile(ctx, ht); err != nil {
		t.Fatal(err)
	} else if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, text) {
		t.Fatalf("compressed blob through Blobs.OpenFile: %d bytes, %v", len(got), err)
	}

	blob := filepath.Join(dir, "Flow", "blobs", h[:2], h)
	orig, _ := os.ReadFile(blob)
	damage := map[string][]byte{
		"truncated":    orig[:len(orig)-1],
		"appended":     append(slices.Clone(orig), 0),
		"header":       append([]byte{orig[0] ^ 1}, orig[1:]...),
		"short header": orig[:7],
		"empty":        nil,
	}
	for name, b := range damage {
		os.WriteFile(blob, b, 0o644)
		if _, _, err := s.Blobs().OpenFile(ctx, h); !errors.Is(err, datastore.ErrCorrupt) || !strings.Contains(err.Error(), h) {
			t.Errorf("%s: Blobs.OpenFile: %v, want ErrCorrupt naming the blob", name, err)
		}
	}
	os.Remove(blob)
	if _, _, err := s.Blobs().OpenFile(ctx, h); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("missing blob: %v, want ErrNotFound", err)
	}

	// Without a FileOpener (S3), the stream is verified at its end.
	mid := slices.Clone(orig)
	mid[len(mid)/2] ^= 1
	os.WriteFile(blob, mid, 0o644)
	remote := datastore.NewStore(onlyBackend{s.Backend()}, "Flow")
	rc, _, err = remote.Blobs().OpenFile(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); !errors.Is(err, datastore.ErrCorrupt) {
		t.Errorf("flipped byte without a FileOpener: %v, want ErrCorrupt", err)
	}
	rc.Close()
}

// TestPutBlobTwoPass covers the writes for a backend that cannot stage
// (S3): hash first, then write; an existing blob is not written again.
func TestPutBlobTwoPass(t *testing.T) {
	ctx := context.Background()
	local, dir := newStore(t)
	s := datastore.NewStore(onlyBackend{local.Backend()}, "Flow")
	path, data := inputFile(t, dir, "in", 3<<20+1, 0.5)
	h, size, err := s.Blobs().PutFile(ctx, path)
	if err != nil || h != datastore.TreeHash(data) || size != int64(len(data)) {
		t.Fatalf("Blobs.PutFile = %s, %d, %v", h, size, err)
	}
	if got := openBlob(t, s, h); !bytes.Equal(got, data) {
		t.Fatal("file blob reads back different bytes")
	}
	data[0] ^= 1
	hp, err := s.Blobs().PutParts(ctx, [][]byte{data[:5], data[5:]})
	if err != nil || hp != datastore.BlobHash(data) {
		t.Fatalf("Blobs.PutParts = %s, %v", hp, err)
	}
	if got := openBlob(t, s, hp); !bytes.Equal(got, data) {
		t.Fatal("blob reads back different bytes")
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}

// TestOpenBlobLargeReads reads blobs with reads of many MiB (as an array
// is decoded), which Blobs.Open serves while hashing in a second goroutine:
// content, damage and cancellation are reported as with small reads.
func TestOpenBlobLargeReads(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	for name, frac := range map[string]float64{"raw": 1, "s2": 0.3} {
		data := make([]byte, 5<<20+3)
		fillPayload(data, frac)
		h, err := s.Blobs().Put(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		read := func(ctx context.Context) ([]byte, error) {
			rc, size, err := s.Blobs().Open(ctx, h)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			buf := make([]byte, size+1)
			n, err := io.ReadFull(rc, buf)
			if err == io.ErrUnexpectedEOF {
				err = nil
			}
			return buf[:n], err
		}
		if got, err := read(ctx); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: read %d bytes, %v", name, len(got), err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := read(cctx); !errors.Is(err, context.Canceled) || errors.Is(err, datastore.ErrCorrupt) {
			t.Errorf("%s: cancelled: %v, want context.Canceled", name, err)
		}
		blob := filepath.Join(dir, "Flow", "blobs", h[:2], h)
		orig, _ := os.ReadFile(blob)
		bad := slices.Clone(orig)
		bad[len(bad)*3/4] ^= 0x10
		os.WriteFile(blob, bad, 0o644)
		if _, err := read(ctx); !errors.Is(err, datastore.ErrCorrupt) {
			t.Errorf("%s: flipped byte: %v, want ErrCorrupt", name, err)
		}
		os.WriteFile(blob, orig[:len(orig)-100], 0o644)
		if _, err := read(ctx); !errors.Is(err, datastore.ErrCorrupt) {
			t.Errorf("%s: truncated: %v, want ErrCorrupt", name, err)
		}
		os.WriteFile(blob, orig, 0o644)
	}
}
