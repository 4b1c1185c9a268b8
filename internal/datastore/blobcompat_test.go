package datastore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
)

// The blobs in testdata/blobs were stored by Blobs.PutParts and Blobs.PutFile
// as Stepflow wrote them before it used github.com/klauspost/compress (with
// its own S2 encoder, internal/s2, removed since): each file is a blob
// object byte for byte, named NAME-HASH.sfb, where NAME is one of
// compatBlobs and HASH the blob's content address. They must never be
// regenerated: they stand for the blobs already in users' datastores.

// compatBlobs returns the content of each committed blob, by name: what
// the artifacts of flows look like (numeric slices, JSON-ish records,
// text), compressed or stored raw.
func compatBlobs() map[string][]byte {
	floats := make([]byte, 0, 48<<13)
	for i := range 6 << 13 { // 48K float64s, 384 KiB: s2-compressed
		floats = binary.LittleEndian.AppendUint64(floats, math.Float64bits(float64(i%500)*0.25))
	}
	ints := make([]byte, 0, 8*33000)
	for i := range 33000 { // sequential int64s, 258 KiB: s2-compressed
		ints = binary.LittleEndian.AppendUint64(ints, uint64(i))
	}
	var records bytes.Buffer
	for i := 0; records.Len() < 300<<10; i++ { // JSON lines, 300 KiB: s2-compressed
		fmt.Fprintf(&records, `{"id":%d,"sensor":"sensor-%d","value":%.2f,"status":"ok","tags":["a","b%d"]}`+"\n",
			i, i%16, float64(i*37%10000)/100, i%7)
	}
	// Several of the stream's chunks, and repeated runs: s2-compressed.
	long := bytes.Repeat([]byte(strings.Repeat("stepflow ", 7)+"\n"), (5<<20)/64)
	small := []byte("a small artifact, stored raw: <&>\x00\xff")
	return map[string][]byte{"floats": floats, "ints": ints, "records": records.Bytes(), "long": long, "small": small,
		"file": []byte(strings.Repeat("a file stored with PutBlobFile\n", 100))}
}

// TestWriteCompatBlobs writes testdata/blobs when STEPFLOW_WRITE_COMPAT_BLOBS
// is set; it was run once, by the binaries of before klauspost/compress.
func TestWriteCompatBlobs(t *testing.T) {
	if os.Getenv("STEPFLOW_WRITE_COMPAT_BLOBS") == "" {
		t.Skip("testdata/blobs stands for blobs of earlier binaries; never regenerated")
	}
	ctx := context.Background()
	dir := filepath.Join("testdata", "blobs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range compatBlobs() {
		m := memBackend{}
		s := datastore.NewStore(m, "F")
		var hash string
		var err error
		if name == "file" {
			p := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			hash, _, err = s.Blobs().PutFile(ctx, p)
		} else {
			hash, err = s.Blobs().PutParts(ctx, [][]byte{data[:len(data)/3], data[len(data)/3:]})
		}
		if err != nil {
			t.Fatal(err)
		}
		obj := m["F/blobs/"+hash[:2]+"/"+hash]
		if err := os.WriteFile(filepath.Join(dir, name+"-"+hash+".sfb"), obj, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes stored as %d, codec %d", name, len(data), len(obj), obj[4])
	}
}

// TestReadCompatBlobs reads every blob of testdata/blobs with Blobs.Get,
// Blobs.Open and Blobs.Verify and checks that each gives exactly the content
// it was written from.
func TestReadCompatBlobs(t *testing.T) {
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join("testdata", "blobs", "*.sfb"))
	if err != nil {
		t.Fatal(err)
	}
	want := compatBlobs()
	if len(files) != len(want) {
		t.Fatalf("testdata/blobs has %d blobs, want %d (one per compatBlobs entry)", len(files), len(want))
	}
	codecs := map[byte]int{}
	for _, f := range files {
		name, hash, ok := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".sfb"), "-")
		if !ok || want[name] == nil {
			t.Fatalf("%s: not NAME-HASH.sfb with NAME one of compatBlobs", f)
		}
		obj, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if hash != datastore.BlobHash(want[name]) && name != "file" {
			t.Fatalf("%s: named %s, but its content's SHA-256 is %s", f, hash, datastore.BlobHash(want[name]))
		}
		codecs[obj[4]]++
		s := datastore.NewStore(memBackend{"F/blobs/" + hash[:2] + "/" + hash: obj}, "F")
		got, err := s.Blobs().Get(ctx, hash)
		if err != nil || !bytes.Equal(got, want[name]) {
			t.Errorf("%s: Blobs.Get gave %d bytes (want %d), error %v", f, len(got), len(want[name]), err)
		}
		rc, n, err := s.Blobs().Open(ctx, hash)
		if err != nil {
			t.Fatalf("%s: Blobs.Open: %v", f, err)
		}
		got, err = io.ReadAll(rc)
		rc.Close()
		if err != nil || n != int64(len(want[name])) || !bytes.Equal(got, want[name]) {
			t.Errorf("%s: Blobs.Open gave %d bytes (size %d, want %d), error %v", f, len(got), n, len(want[name]), err)
		}
		if err := s.Blobs().Verify(ctx, hash); err != nil {
			t.Errorf("%s: Blobs.Verify: %v", f, err)
		}
	}
	if codecs[0] == 0 || codecs[1] == 0 {
		t.Errorf("testdata/blobs holds blobs of codecs %v, want raw (0) and s2 (1) ones", codecs)
	}
}
