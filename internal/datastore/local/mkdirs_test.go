package local

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMkdirs: mkdirs creates a missing directory and its missing parents,
// says whether it created the directory, and fails where a file is in the
// way.
func TestMkdirs(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "runs", "1", "loud", "0", "0")
	if created, err := mkdirs(deep); err != nil || !created {
		t.Fatalf("mkdirs(new chain) = %v, %v; want true, nil", created, err)
	}
	if fi, err := os.Stat(deep); err != nil || !fi.IsDir() {
		t.Fatalf("mkdirs left no directory: %v", err)
	}
	if created, err := mkdirs(deep); err != nil || created {
		t.Errorf("mkdirs(existing) = %v, %v; want false, nil", created, err)
	}
	sibling := filepath.Join(root, "runs", "1", "loud", "0", "1")
	if created, err := mkdirs(sibling); err != nil || !created {
		t.Errorf("mkdirs(new, parent exists) = %v, %v; want true, nil", created, err)
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mkdirs(filepath.Join(file, "a", "b")); err == nil {
		t.Error("mkdirs below a file succeeded")
	}
}

// TestCreateInNewDirectory: the first object of a new directory (a new
// attempt's) is saved whole, and the directory is not swept afterwards
// (it was made by this Backend, so it holds no leftovers).
func TestCreateInNewDirectory(t *testing.T) {
	b, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, name, err := b.createTemp(filepath.Join(b.root, "F", "runs", "1", "s", "0", "0"), "attempt.json")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Stat(name); err != nil {
		t.Fatalf("createTemp made no file: %v", err)
	}
	if _, met := b.swept.Load(filepath.Dir(name)); !met {
		t.Error("a directory createTemp made is not marked as holding no leftovers")
	}
}
