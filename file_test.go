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

type inputFlow struct {
	Data  stepflow.File
	Size  int64
	Bytes string
}

// A file parameter's file reaches every step through its File field,
// stored when the run starts: the local file may change or go afterwards.
func TestFileParam(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "input.txt")
	if err := os.WriteFile(path, []byte("some input"), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func(f *inputFlow, c *stepflow.Context) error {
		r, err := f.Data.Open()
		if err != nil {
			return err
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		f.Size, f.Bytes = f.Data.Size(), string(b)
		return err
	}
	newFlow := func(def string) *stepflow.Flow[inputFlow] {
		return stepflow.New[inputFlow]("InputFlow").
			FileParam("data", def, "the input").
			Step("start", func(f *inputFlow, c *stepflow.Context) error {
				return os.Remove(path) // the run holds its own copy
			}, stepflow.Next("end")).
			Step("end", read)
	}
	res := stepflowtest.Run(t, newFlow(path))
	if end := res.End(); end.Bytes != "some input" || end.Size != 10 {
		t.Errorf("end read %q (Size %d), want the default file", end.Bytes, end.Size)
	}
	other := filepath.Join(dir, "other.txt")
	if err := os.WriteFile(other, []byte("given"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("some input"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = stepflowtest.Run(t, newFlow(path), stepflowtest.Params{"data": other})
	if end := res.End(); end.Bytes != "given" {
		t.Errorf("end read %q, want the file given", end.Bytes)
	}
}
