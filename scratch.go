package stepflow

import (
	"errors"
	"os"
)

// errNoScratch is the error of TempDir and TempFile on the zero Context.
var errNoScratch = errors.New("the zero stepflow.Context has no task, so no scratch directory that is removed when the task ends; " +
	"to unit-test a step that writes files, call it with stepflowtest.Context(t), whose scratch directory is in t.TempDir()")

// TempDir returns the task's scratch directory, made on the first call: a
// directory of this task attempt's own, so that the tasks of a foreach, or
// a retry and the attempt before it, never write to the same file. It is
// removed, with everything in it, when the task ends, after its artifacts
// are stored; write files for later steps through a File artifact:
//
//	dir, err := c.TempDir()
//	...
//	path := filepath.Join(dir, "model.bin")
//	... write the model to path ...
//	f.Model.SetPath(path) // stored when the step ends, then removed
//
// On the zero Context it fails with an error naming stepflowtest.Context.
func (c *Context) TempDir() (string, error) {
	if in := c.in(); in != nil {
		return in.TempDir()
	}
	return "", errNoScratch
}

// TempFile creates a new file in the task's scratch directory (TempDir),
// opened for reading and writing and named by pattern as os.CreateTemp
// names it ("model-*.bin"). The caller closes it; the task runner removes
// it with the directory when the task ends.
func (c *Context) TempFile(pattern string) (*os.File, error) {
	if in := c.in(); in != nil {
		return in.TempFile(pattern)
	}
	return nil, errNoScratch
}
