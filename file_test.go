package stepflow_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

type fileFlow struct {
	Dir   string // parameter
	Model stepflow.File
	Size  int64
	Same  bool
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	content := make([]byte, 3<<20+7)
	rand.Read(content)
	if err := os.WriteFile(filepath.Join(dir, "model.bin"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	f := stepflow.New[fileFlow]("FileFlow").
		Param("dir", "", "where the model is").
		Step("start", func(f *fileFlow, c *stepflow.Context) error {
			f.Model.SetPath(filepath.Join(f.Dir, "model.bin"))
			return nil
		}, stepflow.Next("pass")).
		Step("pass", func(f *fileFlow, c *stepflow.Context) error { return nil }, stepflow.Next("end")).
		Step("end", func(f *fileFlow, c *stepflow.Context) error {
			r, err := f.Model.Open()
			if err != nil {
				return err
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			f.Size, f.Same = f.Model.Size(), bytes.Equal(got, content)
			return nil
		})
	res := stepflowtest.Run(t, f, stepflowtest.Params{"dir": dir})
	if end := res.End(); !end.Same || end.Size != int64(len(content)) {
		t.Errorf("end read the file: same %v, size %d; want %d bytes", end.Same, end.Size, len(content))
	}
	// A file outside the task's scratch directory stays where it was.
	if _, err := os.Stat(filepath.Join(dir, "model.bin")); err != nil {
		t.Errorf("the file handed to SetPath from outside the scratch directory: %v", err)
	}
	// The stored file does not depend on the local one any more.
	os.Remove(filepath.Join(dir, "model.bin"))
	r, err := res.Task("pass").Model.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(content)) {
		t.Errorf("pass's file: %d bytes, %v", n, err)
	}
	var zero stepflow.File
	if _, err := zero.Open(); err == nil {
		t.Error("zero File opened")
	}
}
