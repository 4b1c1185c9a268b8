package ocirun

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// jobDir is a run's scratch directory, cache/jobs/job-*: the overlay's
// upper and work directories (every write of the run) and its mount
// point. The run holds a lock on it while it lives and removes it at the
// end; a run that was killed leaves it unlocked, and the next run removes
// it (sweepJobs).
type jobDir struct {
	path               string
	upper, work, mount string
	lock               *os.File
}

// newJobDir makes a locked job directory. It is made under a temporary
// name and renamed once locked, so sweepJobs never sees an unlocked live
// one.
func newJobDir(cache string) (*jobDir, error) {
	jobs := filepath.Join(cache, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		return nil, fmt.Errorf("job directory: %w", err)
	}
	tmp, err := os.MkdirTemp(jobs, ".new-")
	if err != nil {
		return nil, fmt.Errorf("job directory: %w", err)
	}
	lock, err := os.Open(tmp)
	if err == nil {
		err = unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != nil {
			lock.Close()
		}
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("job directory: lock %s: %w", tmp, err)
	}
	j := &jobDir{path: filepath.Join(jobs, "job-"+strings.TrimPrefix(filepath.Base(tmp), ".new-")), lock: lock}
	if err := os.Rename(tmp, j.path); err != nil {
		lock.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("job directory: %w", err)
	}
	j.upper, j.work, j.mount = filepath.Join(j.path, "upper"), filepath.Join(j.path, "work"), filepath.Join(j.path, "root")
	for _, d := range []string{j.upper, j.work, j.mount} {
		if err := os.Mkdir(d, 0o755); err != nil {
			j.remove()
			return nil, fmt.Errorf("job directory: %w", err)
		}
	}
	return j, nil
}

// remove deletes the job directory and releases its lock.
func (j *jobDir) remove() error {
	err := os.RemoveAll(j.path)
	j.lock.Close()
	if err != nil {
		return fmt.Errorf("remove the job directory: %w", err)
	}
	return nil
}

// staleNew is how old a job directory still under its temporary name
// must be to be taken for a killed run's: the name lasts microseconds.
const staleNew = time.Minute

// sweepJobs removes the job directories of runs that were killed: those
// no live run holds locked. It is best effort: what cannot be removed now
// is tried again by the next run.
func sweepJobs(cache string) {
	jobs := filepath.Join(cache, "jobs")
	entries, err := os.ReadDir(jobs)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(jobs, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "job-"):
			f, err := os.Open(p)
			if err != nil {
				continue
			}
			err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
			if err == nil {
				os.RemoveAll(p)
			}
			f.Close()
		case strings.HasPrefix(e.Name(), ".new-"):
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleNew {
				os.RemoveAll(p)
			}
		}
	}
}
