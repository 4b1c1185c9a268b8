package flow

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestScratch: the scratch directory is made on first use, one per
// Context; InScratch holds for the files under it only; RemoveScratch
// removes it with its files.
func TestScratch(t *testing.T) {
	root := t.TempDir()
	c := NewContext(context.Background(), TaskInfo{Flow: "F", Step: "s", TaskID: "1-2", Attempt: 3}, nil)
	c.SetScratchRoot(root)
	if c.ScratchDir() != "" {
		t.Fatal("a scratch directory before TempDir")
	}
	dir, err := c.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dir) != root || !filepath.IsAbs(dir) {
		t.Errorf("TempDir = %s, not a directory in %s", dir, root)
	}
	if base := filepath.Base(dir); len(base) < len("stepflow-F-s-1-2-3-") || base[:len("stepflow-F-s-1-2-3-")] != "stepflow-F-s-1-2-3-" {
		t.Errorf("TempDir is named %s; want stepflow-F-s-1-2-3-*", base)
	}
	other := NewContext(context.Background(), TaskInfo{Flow: "F", Step: "s", TaskID: "1-2", Attempt: 3}, nil)
	other.SetScratchRoot(root)
	if d2, _ := other.TempDir(); d2 == dir {
		t.Errorf("two tasks got the same scratch directory %s", dir)
	}
	f, err := c.TempFile("model-*.bin")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	sub := filepath.Join(dir, "a", "b")
	for path, want := range map[string]bool{
		f.Name():                          true,
		sub:                               true,
		dir:                               false, // the directory itself
		dir + "-x/model.bin":              false, // a sibling with the same prefix
		filepath.Join(dir, "..", "m.bin"): false,
		filepath.Join(root, "m.bin"):      false,
	} {
		if got := c.InScratch(path); got != want {
			t.Errorf("InScratch(%s) = %v, want %v", path, got, want)
		}
	}
	if err := c.RemoveScratch(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after RemoveScratch, %s: %v", dir, err)
	}
	if c.InScratch(f.Name()) {
		t.Error("InScratch holds after RemoveScratch")
	}
}
