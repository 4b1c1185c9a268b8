package flow

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// scratch is a task's own temporary directory, made on first use and
// removed, with everything in it, when the task ends (RemoveScratch).
type scratch struct {
	mu   sync.Mutex
	root string // where to make it; "" means os.TempDir()
	dir  string // made; "" until then
	err  error
}

// TempDir returns the task's scratch directory, making it on the first
// call: a new directory, so that no two tasks (the items of a foreach, a
// retry and the attempt before it) write to the same files. The task
// runner removes it when the task ends, after its artifacts are stored.
func (c *Context) TempDir() (string, error) {
	s := &c.scratch
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" && s.err == nil {
		name := strings.Map(func(r rune) rune {
			if r == '/' || r == os.PathSeparator {
				return '_'
			}
			return r
		}, fmt.Sprintf("stepflow-%s-%s-%s-%d-", c.info.Flow, c.info.Step, c.info.TaskID, c.info.Attempt))
		s.dir, s.err = os.MkdirTemp(s.root, name)
		if s.err != nil {
			s.err = fmt.Errorf("make the task's scratch directory: %w", s.err)
		}
	}
	return s.dir, s.err
}

// TempFile creates a new file in the task's scratch directory, opened for
// reading and writing, named by pattern as os.CreateTemp names it (a "*"
// is replaced by a random string).
func (c *Context) TempFile(pattern string) (*os.File, error) {
	dir, err := c.TempDir()
	if err != nil {
		return nil, err
	}
	return os.CreateTemp(dir, pattern)
}

// ScratchDir returns the task's scratch directory, or "" when the step
// made none.
func (c *Context) ScratchDir() string {
	c.scratch.mu.Lock()
	defer c.scratch.mu.Unlock()
	return c.scratch.dir
}

// InScratch reports whether path is a file under the task's scratch
// directory.
func (c *Context) InScratch(path string) bool {
	dir := c.ScratchDir()
	if dir == "" {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(dir, abs)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// RemoveScratch removes the task's scratch directory and everything in
// it. Later calls of TempDir make a new one.
func (c *Context) RemoveScratch() error {
	s := &c.scratch
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		return nil
	}
	err := os.RemoveAll(s.dir)
	s.dir = ""
	return err
}
