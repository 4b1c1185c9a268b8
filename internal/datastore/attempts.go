package datastore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Attempts holds the attempt records of a flow's runs,
// "<flow>/runs/<run>/<step>/<task>/<attempt>/attempt.json" (Attempt), and
// each run's attempt index, "<flow>/runs/<run>/attempt-index/"
// (IndexEntry). An attempt record is written once, last of the attempt's
// objects: its presence means the attempt finished. Every record carries
// its checksum; a record that fails it reads as an error wrapping
// ErrCorrupt, a missing one as ErrNotFound. It also finds a run's steps
// and a step's tasks from the folders the attempts are stored in. It is
// safe for concurrent use.
type Attempts struct {
	layout
}

// Put writes the attempt record, then its entry in the run's
// attempt index. Write it last, after the attempt's blobs and logs: the
// record's presence means the attempt finished.
func (at *Attempts) Put(ctx context.Context, a Attempt) error {
	dir, err := at.attemptDir(a.Run, a.Step, a.Task, a.Attempt)
	if err != nil {
		return fmt.Errorf("put attempt: %w", err)
	}
	if err := at.putJSON(ctx, dir+"attempt.json", a); err != nil {
		return err
	}
	if err := at.putIndexEntry(ctx, a.Run, indexEntryOf(a)); err != nil {
		return fmt.Errorf("put attempt %s/%s/%s/%d: %w", a.Run, a.Step, a.Task, a.Attempt, err)
	}
	return nil
}

// Get returns one attempt record; a missing one (not finished, or never
// started) wraps ErrNotFound.
func (at *Attempts) Get(ctx context.Context, run, step, task string, attempt int) (Attempt, error) {
	dir, err := at.attemptDir(run, step, task, attempt)
	if err != nil {
		return Attempt{}, fmt.Errorf("get attempt: %w", err)
	}
	var a Attempt
	if err := at.getJSON(ctx, dir+"attempt.json", &a); err != nil {
		return Attempt{}, err
	}
	return a, nil
}

// Latest returns the finished attempt with the highest attempt number,
// whatever its status, or an error wrapping ErrNotFound if none finished.
//
// It lists the attempt numbers of the task, one level (Backend.Dirs), and
// reads the record of the highest that has one: a task process numbers its
// attempt and finds its parents' with a directory read and a record read.
func (at *Attempts) Latest(ctx context.Context, run, step, task string) (Attempt, error) {
	dir, err := at.attemptDir(run, step, task, 0)
	if err != nil {
		return Attempt{}, fmt.Errorf("get latest attempt: %w", err)
	}
	dir = dir[:len(dir)-len("0/")]
	var nums []int
	err = at.b.Dirs(ctx, dir, func(elem string) error {
		if n, ok := attemptNumber(elem); ok {
			nums = append(nums, n)
		}
		return nil
	})
	if err != nil {
		return Attempt{}, fmt.Errorf("get latest attempt of %s: %w", dir, err)
	}
	// The directory order is lexical ("10" < "9"): newest first by number.
	slices.Sort(nums)
	for _, n := range slices.Backward(nums) {
		a, err := at.Get(ctx, run, step, task, n)
		if errors.Is(err, ErrNotFound) {
			continue // started, not finished
		}
		return a, err
	}
	return Attempt{}, &noAttemptError{task: dir}
}

// attemptNumber reads an attempt number, written in decimal without
// leading zeros.
func attemptNumber(elem string) (int, bool) {
	if elem == "" || len(elem) > 18 || (elem[0] == '0' && len(elem) > 1) {
		return 0, false
	}
	n := 0
	for i := range len(elem) {
		c := elem[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// noAttemptError is Latest's error for a task without a finished
// attempt, which is how every task's first attempt starts: it wraps
// ErrNotFound, and its message is made only when someone shows it.
type noAttemptError struct {
	task string // "<flow>/runs/<run>/<step>/<task>/"
}

func (e *noAttemptError) Error() string {
	return "get latest attempt of " + strings.TrimSuffix(e.task, "/") + ": " + ErrNotFound.Error()
}

func (e *noAttemptError) Unwrap() error { return ErrNotFound }

// Succeeded returns the latest attempt of a task when it succeeded; ok is
// false when the task has no attempt or its latest one failed.
func (at *Attempts) Succeeded(ctx context.Context, run, step, task string) (a Attempt, ok bool, err error) {
	a, err = at.Latest(ctx, run, step, task)
	if errors.Is(err, ErrNotFound) {
		return Attempt{}, false, nil
	}
	if err != nil {
		return Attempt{}, false, err
	}
	return a, a.Status == StatusSucceeded, nil
}
