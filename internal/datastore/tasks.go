package datastore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Steps returns the names of the steps of run that have stored any attempt
// object, sorted. It lists one level of the run's folder (Backend.Dirs: a
// directory read, an S3 delimiter listing), not the run's objects, so its
// cost does not grow with the number of tasks: the folders of a run are its
// steps' and two of the layout's own, attempt-index (a hyphen: no step's
// name) and resumes (a reserved step name).
func (at *Attempts) Steps(ctx context.Context, run string) ([]string, error) {
	dir, err := at.runDir(run)
	if err != nil {
		return nil, fmt.Errorf("list steps: %w", err)
	}
	var steps []string
	err = at.b.Dirs(ctx, dir, func(elem string) error {
		if elem != strings.TrimSuffix(indexDir, "/") && elem != "resumes" {
			steps = append(steps, elem)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list steps of %s: %w", dir, err)
	}
	slices.Sort(steps)
	return slices.Compact(steps), nil
}

// HasTask reports whether task of step has stored any attempt object,
// listing one level of the task's folder (not its siblings).
func (at *Attempts) HasTask(ctx context.Context, run, step, task string) (bool, error) {
	dir, err := at.attemptDir(run, step, task, 0)
	if err != nil {
		return false, fmt.Errorf("find task: %w", err)
	}
	dir = dir[:len(dir)-len("0/")]
	found := false
	err = at.b.Dirs(ctx, dir, func(string) error {
		found = true
		return errStopListing
	})
	if err != nil && err != errStopListing {
		return false, fmt.Errorf("find task %s: %w", dir, err)
	}
	return found, nil
}

// errStopListing ends a listing early.
var errStopListing = errors.New("stop listing")

// Tasks returns the task ids of step in run, in numeric order of their
// foreach index paths ("2" < "10", "3-1-2" < "3-10").
func (at *Attempts) Tasks(ctx context.Context, run, step string) ([]string, error) {
	dir, err := at.runDir(run)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	if err := checkElem("step name", step); err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	dir += step + "/"
	var tasks []string
	err = at.b.List(ctx, dir, func(name string, _ int64) error {
		parts := strings.Split(strings.TrimPrefix(name, dir), "/")
		if len(parts) == 3 && (len(tasks) == 0 || tasks[len(tasks)-1] != parts[0]) {
			tasks = append(tasks, parts[0])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", dir, err)
	}
	slices.SortFunc(tasks, CompareTaskIDs)
	return slices.Compact(tasks), nil
}

// LatestOfStep returns the task ids of step in run, ordered as Tasks
// orders them, and for each its highest finished attempt number (-1 when
// none finished), from one listing of the step: a view of a wide step
// reads each task's record without listing each task.
func (at *Attempts) LatestOfStep(ctx context.Context, run, step string) ([]string, map[string]int, error) {
	dir, err := at.runDir(run)
	if err != nil {
		return nil, nil, fmt.Errorf("list tasks: %w", err)
	}
	if err := checkElem("step name", step); err != nil {
		return nil, nil, fmt.Errorf("list tasks: %w", err)
	}
	dir += step + "/"
	latest := map[string]int{}
	var tasks []string
	err = at.b.List(ctx, dir, func(name string, _ int64) error {
		parts := strings.Split(strings.TrimPrefix(name, dir), "/")
		if len(parts) != 3 {
			return nil
		}
		n, ok := latest[parts[0]]
		if !ok {
			tasks = append(tasks, parts[0])
			n = -1
		}
		if parts[2] == "attempt.json" {
			if a, err := strconv.Atoi(parts[1]); err == nil && a >= 0 && strconv.Itoa(a) == parts[1] {
				n = max(n, a)
			}
		}
		latest[parts[0]] = n
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list tasks of %s: %w", dir, err)
	}
	slices.SortFunc(tasks, CompareTaskIDs)
	return tasks, latest, nil
}

// CompareTaskIDs orders task ids by their "-"-separated parts, numerically
// when both parts are decimal numbers and lexically otherwise.
func CompareTaskIDs(a, b string) int {
	pa, pb := strings.Split(a, "-"), strings.Split(b, "-")
	for i := range min(len(pa), len(pb)) {
		na, ea := strconv.ParseUint(pa[i], 10, 64)
		nb, eb := strconv.ParseUint(pb[i], 10, 64)
		var c int
		if ea == nil && eb == nil {
			c = cmp.Compare(na, nb)
		} else {
			c = strings.Compare(pa[i], pb[i])
		}
		if c != 0 {
			return c
		}
	}
	if c := cmp.Compare(len(pa), len(pb)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
