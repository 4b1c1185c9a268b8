package inspect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

// hashWriter hashes what is written to it and counts it.
type hashWriter struct {
	h hash.Hash
	n int64
}

func (w *hashWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return w.h.Write(p) }

// dump --json of a large stepflow.File prints its summary; --json --full
// streams it as base64 without holding it (the file nor its text), and
// --full (text) reads it to the end without holding it.
func TestDumpLargeFile(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "F")
	const size = 24 << 20
	content := make([]byte, size)
	for i := range content {
		content[i] = byte(i * 7 % 253)
	}
	path := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	h, n, err := s.Blobs().PutFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b64 := sha256.Sum256([]byte(`"` + base64.StdEncoding.EncodeToString(content) + `"` + "\n"))
	content = nil
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	if err := s.Runs().Put(ctx, datastore.Run{Flow: "F", ID: "r", Start: t0, Runtime: "local"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "end", Task: "0", Status: datastore.StatusSucceeded, Start: t0, End: t0,
		Artifacts: map[string]datastore.ArtifactRef{"Data": {Hash: h, Encoding: artifact.File, Size: n, Type: "stepflow.File"}}}); err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	dump := func(w io.Writer, asJSON, full bool) (string, uint64) {
		var errb bytes.Buffer
		in := &Inspector{Flow: c.Flow("F"), Stdout: w, Stderr: &errb, RunsCmd: "f runs"}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := in.Dump(ctx, pathspecOf(t, "r/end/0"), -1, "Data", asJSON, full, ""); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return errb.String(), after.TotalAlloc - before.TotalAlloc
	}
	var out bytes.Buffer
	if note, _ := dump(&out, true, false); !strings.Contains(out.String(), `"summary": "stepflow.File`) || out.Len() > 1000 ||
		!strings.Contains(note, "dump --json --full prints its value") {
		t.Errorf("dump --json of a 24 MiB file: %.300s\nstderr: %s", out.String(), note)
	}
	hw := &hashWriter{h: sha256.New()}
	_, alloc := dump(hw, true, true)
	if !bytes.Equal(hw.h.Sum(nil), b64[:]) {
		t.Errorf("dump --json --full of a 24 MiB file printed %d bytes, not the file as one base64 string", hw.n)
	}
	if alloc > 8<<20 {
		t.Errorf("dump --json --full of a 24 MiB file allocated %d MiB; it must stream", alloc>>20)
	}
	out.Reset()
	if _, alloc := dump(&out, false, true); !strings.HasPrefix(out.String(), "<25165824 bytes> 00070e151c") || alloc > 8<<20 {
		t.Errorf("dump --full of a 24 MiB file: %q, %d MiB allocated", out.String(), alloc>>20)
	}
}
