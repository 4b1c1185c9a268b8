package datastore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// HashFile names a file as PutFile's blob would be named (TreeHash), and
// refuses what is not a regular file.
func TestHashFile(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("file parameter "), 2*TreeLeaf/15+3) // three leaves
	path := filepath.Join(dir, "data.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	hash, size, err := HashFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if want := TreeHash(data); hash != want || size != int64(len(data)) {
		t.Errorf("HashFile = %s, %d; want %s, %d", hash, size, want, len(data))
	}
	if _, _, err := HashFile(context.Background(), dir); err == nil {
		t.Error("HashFile hashed a directory")
	}
}
