package datastore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
)

// treeSizes are file sizes around the leaf boundaries.
var treeSizes = []int{0, 1, datastore.TreeLeaf - 1, datastore.TreeLeaf, datastore.TreeLeaf + 1, 3*datastore.TreeLeaf + 5}

// TestTreeHashPython: the name of a file blob is what the definition in
// TreeHash's doc comment gives, computed apart by Python's hashlib (the
// way docs/datastore.md tells a user to check one), for sizes around the
// leaf boundaries, stored in one pass (local) and in two (as on S3).
// python3 is installed by scripts/test.sh (with python3-numpy).
func TestTreeHashPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to check the tree hash apart (scripts/test.sh installs it): %v", err)
	}
	dir := t.TempDir()
	local, _ := newStore(t)
	remote := datastore.NewStore(onlyBackend{local.Backend()}, "Flow")
	var paths []string
	for _, n := range treeSizes {
		p, _ := inputFile(t, dir, fmt.Sprint(n), n, 1)
		paths = append(paths, p)
	}
	const script = `import hashlib, os, struct, sys
for path in sys.argv[1:]:
    root = hashlib.sha256(b"\x01" + struct.pack("<Q", os.path.getsize(path)))
    with open(path, "rb") as f:
        while leaf := f.read(1 << 20):
            root.update(hashlib.sha256(b"\x00" + leaf).digest())
    print(root.hexdigest())
`
	out, err := exec.Command(py, append([]string{"-c", script}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	want := strings.Fields(string(out))
	if len(want) != len(paths) {
		t.Fatalf("python3 printed %q for %d files", out, len(paths))
	}
	ctx := context.Background()
	for i, p := range paths {
		data, _ := os.ReadFile(p)
		if got := datastore.TreeHash(data); got != want[i] {
			t.Errorf("TreeHash of %d bytes = %s, python: %s", len(data), got, want[i])
		}
		for _, s := range []*datastore.Store{local, remote} {
			h, size, err := s.Blobs().PutFile(ctx, p)
			if err != nil || h != want[i] || size != int64(len(data)) {
				t.Errorf("Blobs.PutFile of %d bytes = %s, %d, %v; python: %s", len(data), h, size, err, want[i])
			}
		}
	}
}

// TestTreeHashSplits: the tree is the same however the bytes are split
// into writes (the verifying readers hash what each read gives), and
// differs from the flat SHA-256 and with one byte changed.
func TestTreeHashSplits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range treeSizes {
		data := make([]byte, n)
		fillPayload(data, 1)
		want := datastore.TreeHash(data)
		for range 3 {
			h := datastore.NewTreeHash(int64(n))
			for rest := data; len(rest) > 0; {
				m := min(len(rest), 1+r.IntN(3*datastore.TreeLeaf/2))
				h.Write(rest[:m])
				rest = rest[m:]
				if r.IntN(2) == 0 { // Sum leaves the state as it was
					h.Sum(nil)
				}
			}
			if got := fmt.Sprintf("%x", h.Sum(nil)); got != want {
				t.Errorf("%d bytes in random writes: %s, want %s", n, got, want)
			}
		}
		if flat := fmt.Sprintf("%x", sha256.Sum256(data)); flat == want {
			t.Errorf("%d bytes: the tree equals the flat SHA-256", n)
		}
		if n > 0 {
			data[n/2] ^= 1
			if datastore.TreeHash(data) == want {
				t.Errorf("%d bytes: a flipped byte keeps the tree", n)
			}
		}
	}
}

// TestTreeBlobVerified: a file blob (named by the tree) is verified by
// every reader that hashes (Blobs.Open, Blobs.Get, Blobs.Verify); one flipped
// byte is ErrCorrupt for each. A file blob of earlier binaries (raw,
// named by the flat SHA-256) still reads and verifies, and a header of a
// naming this binary does not know is ErrCorrupt.
func TestTreeBlobVerified(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	path, data := inputFile(t, dir, "in", 2*datastore.TreeLeaf+7, 1)
	h, _, err := s.Blobs().PutFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Blobs().Get(ctx, h); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Blobs.Get = %d bytes, %v", len(got), err)
	}
	if err := s.Blobs().Verify(ctx, h); err != nil {
		t.Fatalf("Blobs.Verify: %v", err)
	}
	blob := filepath.Join(dir, "Flow", "blobs", h[:2], h)
	stored, _ := os.ReadFile(blob)
	if stored[5] != 1 {
		t.Fatalf("header byte 5 (naming) = %d, want 1 (tree)", stored[5])
	}
	bad := bytes.Clone(stored)
	bad[len(bad)-3] ^= 1
	os.WriteFile(blob, bad, 0o644)
	if _, err := s.Blobs().Get(ctx, h); !errors.Is(err, datastore.ErrCorrupt) {
		t.Errorf("Blobs.Get of a flipped byte: %v, want ErrCorrupt", err)
	}
	if err := s.Blobs().Verify(ctx, h); !errors.Is(err, datastore.ErrCorrupt) {
		t.Errorf("Blobs.Verify of a flipped byte: %v, want ErrCorrupt", err)
	}
	if rc, _, err := s.Blobs().Open(ctx, h); err != nil {
		t.Fatal(err)
	} else if _, err := io.ReadAll(rc); !errors.Is(err, datastore.ErrCorrupt) {
		t.Errorf("Blobs.Open of a flipped byte: %v, want ErrCorrupt", err)
	}

	// An unknown naming, with a valid header checksum.
	unknown := bytes.Clone(stored)
	unknown[5] = 7
	binary.LittleEndian.PutUint32(unknown[16:], crc32.Checksum(unknown[:16], crc32.MakeTable(crc32.Castagnoli)))
	os.WriteFile(blob, unknown, 0o644)
	if _, err := s.Blobs().Get(ctx, h); !errors.Is(err, datastore.ErrCorrupt) || !strings.Contains(err.Error(), "unknown naming 7") {
		t.Errorf("Blobs.Get of naming 7: %v, want ErrCorrupt naming it", err)
	}

	// A file blob as earlier binaries wrote it: raw, named by SHA-256.
	old := make([]byte, 20, 20+len(data))
	copy(old, "SFB1")
	binary.LittleEndian.PutUint64(old[8:], uint64(len(data)))
	binary.LittleEndian.PutUint32(old[16:], crc32.Checksum(old[:16], crc32.MakeTable(crc32.Castagnoli)))
	old = append(old, data...)
	oh := datastore.BlobHash(data)
	if err := s.Backend().Save(ctx, "Flow/blobs/"+oh[:2]+"/"+oh, bytes.NewReader(old)); err != nil {
		t.Fatal(err)
	}
	for _, st := range []*datastore.Store{s, datastore.NewStore(onlyBackend{s.Backend()}, "Flow")} {
		rc, size, err := st.Blobs().OpenFile(ctx, oh)
		if err != nil || size != int64(len(data)) {
			t.Fatalf("Blobs.OpenFile of a SHA-256 file blob: %d, %v", size, err)
		}
		if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, data) {
			t.Errorf("SHA-256 file blob reads %d bytes, %v", len(got), err)
		}
		rc.Close()
	}
	if err := s.Blobs().Verify(ctx, oh); err != nil {
		t.Errorf("Blobs.Verify of a SHA-256 file blob: %v", err)
	}
}
