package flowimage

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The layer cache gives the image an uncached assemble gives, reads its
// entry instead of compressing (an entry of other valid gzip bytes for
// the same tar shows in the digest), and drops a damaged entry.
func TestLayerCache(t *testing.T) {
	bin := fakeBinary(AMD64, "cached")
	plain, err := Assemble("HelloFlow", []*Binary{bin}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cache := LayerCache(filepath.Join(t.TempDir(), "layers"))
	first, err := cache.Assemble("HelloFlow", []*Binary{bin}, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := cache.Assemble("HelloFlow", []*Binary{bin}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Digest != plain.Digest || again.Digest != plain.Digest {
		t.Fatalf("digests: uncached %s, cached %s then %s", plain.Digest, first.Digest, again.Digest)
	}
	entries, _ := filepath.Glob(filepath.Join(string(cache), "*.gz"))
	if len(entries) != 1 {
		t.Fatalf("cache entries %q, want one", entries)
	}
	// Replace the entry with the same tar compressed otherwise: the next
	// image is made from it.
	tarData := uncompress(t, entries[0])
	var other bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&other, gzip.BestCompression)
	zw.Write(tarData)
	zw.Close()
	sum := sha256.Sum256(other.Bytes())
	diffID := filepath.Base(entries[0])[:64]
	os.Remove(entries[0])
	otherName := filepath.Join(string(cache), diffID+"."+hex.EncodeToString(sum[:])+".gz")
	if err := os.WriteFile(otherName, other.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fromEntry, err := cache.Assemble("HelloFlow", []*Binary{bin}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fromEntry.Digest == plain.Digest {
		t.Fatal("the cache's entry was not used: the image is the one a compression gives")
	}
	if _, got := files(t, fromEntry.img); !bytes.Equal(got, bin.Data) {
		t.Fatalf("the image from the cached layer holds %q, want the binary", got)
	}
	// A damaged entry is dropped and the layer compressed again.
	b, _ := os.ReadFile(otherName)
	b[len(b)/2] ^= 0xff
	os.WriteFile(otherName, b, 0o644)
	mended, err := cache.Assemble("HelloFlow", []*Binary{bin}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mended.Digest != plain.Digest {
		t.Fatalf("after a damaged entry: digest %s, want the compressed one %s", mended.Digest, plain.Digest)
	}
	if _, err := os.Stat(otherName); !os.IsNotExist(err) {
		t.Errorf("the damaged entry is still there: %v", err)
	}
}

// uncompress returns the tar in a cache entry.
func uncompress(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
