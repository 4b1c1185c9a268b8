package stepflow_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

type scratchFlow struct {
	Words []string
	Model stepflow.File // a file per word, written at the same name in each task's scratch
	Dir   string        // the task's scratch directory
	Path  string        // the file handed to SetPath
	Other string        // a second file of the scratch directory, not handed over
}

func newScratchFlow() *stepflow.Flow[scratchFlow] {
	return stepflow.New[scratchFlow]("ScratchFlow").
		Param("words", []string{}, "").
		Step("start", func(f *scratchFlow, c *stepflow.Context) error { return nil }, stepflow.Foreach("Words", "write")).
		Step("write", func(f *scratchFlow, c *stepflow.Context) error {
			dir, err := c.TempDir()
			if err != nil {
				return err
			}
			f.Dir, f.Path = dir, filepath.Join(dir, "model.bin")
			if err := os.WriteFile(f.Path, []byte(strings.Repeat(stepflow.Item[string](c), 1000)), 0o644); err != nil {
				return err
			}
			f.Model.SetPath(f.Path)
			other, err := c.TempFile("other-*.txt")
			if err != nil {
				return err
			}
			f.Other = other.Name()
			if filepath.Dir(f.Other) != dir {
				return errors.New("TempFile is not in TempDir")
			}
			return other.Close()
		}, stepflow.Next("join")).
		Join("join", func(f *scratchFlow, c *stepflow.Context, in []*scratchFlow) error { return nil },
			stepflow.Next("end"), stepflow.Drop("Model", "Dir", "Path", "Other")).
		Step("end", func(f *scratchFlow, c *stepflow.Context) error { return nil })
}

// TestScratch: the tasks of a foreach write a file of the same name, each
// in its own scratch directory, and each stores its own; the directories
// are gone after the tasks, the files handed to SetPath with them.
func TestScratch(t *testing.T) {
	words := []string{"alpha", "beta", "gamma"}
	res := stepflowtest.Run(t, newScratchFlow(), stepflowtest.Params{"words": `["alpha","beta","gamma"]`})
	dirs := map[string]bool{}
	for i, w := range words {
		task := res.Task("write", i)
		dirs[task.Dir] = true
		r, err := task.Model.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(got) != strings.Repeat(w, 1000) {
			t.Errorf("write %d stored %.20q... (%v); want its own word, %s", i, got, err, w)
		}
		for _, p := range []string{task.Path, task.Other, task.Dir} {
			if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("write %d: %s is still there after the task (%v)", i, p, err)
			}
		}
	}
	if len(dirs) != len(words) {
		t.Errorf("the %d tasks had %d scratch directories: %v", len(words), len(dirs), dirs)
	}
}

// TestScratchInUnitTest: a step-test Context has a scratch directory under
// t.TempDir(), kept until the test ends.
func TestScratchInUnitTest(t *testing.T) {
	c := stepflowtest.Context(t, stepflowtest.Item("beta"))
	dir, err := c.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := c.TempDir(); again != dir {
		t.Errorf("TempDir gave %s, then %s", dir, again)
	}
	f, err := c.TempFile("x-*")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if filepath.Dir(f.Name()) != dir {
		t.Errorf("TempFile made %s, not in %s", f.Name(), dir)
	}
}
