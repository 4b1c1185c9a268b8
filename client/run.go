package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// Run is one run of a flow, as recorded when it started and, once it ended,
// when it ended.
type Run struct {
	Flow string
	ID   string
	// Status is StatusSucceeded or StatusFailed once the run ended, else
	// StatusRunning while its runtime is alive, StatusCrashed once it is
	// gone; StatusDamaged when its records cannot be read.
	Status string
	Start  time.Time
	End    time.Time // zero while Status is StatusRunning
	Error  string    // why a failed run failed
	// Params are the run's parameter values, formatted as strings.
	Params map[string]string
	// Origin is the id of the run a resumed run reused tasks from, and
	// ResumeStep the step it resumed at; both are empty for a fresh run.
	Origin     string
	ResumeStep string
	// Spin is, for a run of the spin command, the past run's step or task
	// it re-ran (RUN/STEP or RUN/STEP/TASK); empty for any other run.
	Spin string
	// ResumedBy is the run that resumed this one after it crashed (its
	// Status stays StatusCrashed), or "".
	ResumedBy string
	// Cached is the number of tasks a local run that ended found in the
	// step cache (each ran no process); 0 for other runs.
	Cached  int
	User    string
	Tags    []string
	Runtime string // "local" or "step-functions"
	// Graph is the shape of the flow's graph as the run recorded it when
	// it started, in topological order (the first step is the start
	// step); nil for runs recorded before Stepflow stored it.
	Graph []GraphStep
	// Trigger says what started the run: "type" is schedule, user, event
	// or run, with the details docs/triggers.md lists; nil for a local
	// run started without --event.
	Trigger map[string]string

	indexed bool // the run's attempts are indexed (datastore.Run.AttemptIndex)
	f       *Flow
}

// GraphStep is one step of a run's graph.
type GraphStep struct {
	Name string `json:"name"`
	// Kind is linear, split, foreach, switch, join or end.
	Kind string `json:"kind"`
	// Next lists the successors (a switch's in case order).
	Next []string `json:"next,omitempty"`
	// Labels parallels Next: each outgoing edge's label, or "".
	Labels []string `json:"labels,omitempty"`
	// Join is the step that closes a split or foreach.
	Join string `json:"join,omitempty"`
	// Field is a foreach's slice field or a switch's compared field.
	Field string `json:"field,omitempty"`
	// Drop lists the fields a join drops (stepflow.Drop): their stored
	// value is the zero value, left so on purpose. Runs recorded before
	// Stepflow stored it have none.
	Drop []string `json:"drop,omitempty"`
}

// Pathspec returns "Flow/Run".
func (r *Run) Pathspec() string { return r.Flow + "/" + r.ID }

// Duration returns how long the run took, or 0 while it has no end.
func (r *Run) Duration() time.Duration {
	if r.End.IsZero() {
		return 0
	}
	return r.End.Sub(r.Start)
}

// Steps returns the steps that have stored at least one task, sorted by
// name. (The stored records hold no graph; order them by their tasks'
// start times for a run-order view.)
func (r *Run) Steps(ctx context.Context) ([]*Step, error) {
	names, err := r.f.s.Attempts().Steps(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	steps := make([]*Step, len(names))
	for i, n := range names {
		steps[i] = &Step{Flow: r.Flow, Run: r.ID, Name: n, f: r.f}
	}
	return steps, nil
}

// Step returns the named step; a step without any stored task is not found.
func (r *Run) Step(ctx context.Context, name string) (*Step, error) {
	if err := checkName("step name", name); err != nil {
		return nil, err
	}
	names, err := r.f.s.Attempts().Steps(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(names, name) {
		return nil, notFound("run %s has no step %q (its steps: %s)", r.Pathspec(), name, listOf(names))
	}
	return &Step{Flow: r.Flow, Run: r.ID, Name: name, f: r.f}, nil
}

// Task returns the task id of step: r.Step then Step.Task.
func (r *Run) Task(ctx context.Context, step, id string) (*Task, error) {
	s, err := r.Step(ctx, step)
	if err != nil {
		return nil, err
	}
	return s.Task(ctx, id)
}

// Step is one step of a run.
type Step struct {
	Flow string
	Run  string
	Name string

	f *Flow
}

// Pathspec returns "Flow/Run/Step".
func (s *Step) Pathspec() string { return s.Flow + "/" + s.Run + "/" + s.Name }

// Tasks returns the step's tasks, in numeric order of their foreach index
// stacks ("2" before "10", "3-1-2" before "3-10"), each as of its latest
// finished attempt.
func (s *Step) Tasks(ctx context.Context) ([]*Task, error) {
	// One listing finds every task's latest finished attempt; then each
	// task is one read.
	ids, latest, err := s.f.s.Attempts().LatestOfStep(ctx, s.Run, s.Name)
	if err != nil {
		return nil, err
	}
	tasks := make([]*Task, len(ids))
	errs := make([]error, len(ids))
	// Overlap a few reads.
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(len(ids), 8) {
		wg.Go(func() {
			for i := range next {
				id := ids[i]
				if latest[id] < 0 {
					tasks[i] = &Task{Flow: s.Flow, Run: s.Run, Step: s.Name, ID: id, Status: StatusRunning, f: s.f}
					continue
				}
				a, err := s.f.s.Attempts().Get(ctx, s.Run, s.Name, id, latest[id])
				if errors.Is(err, datastore.ErrCorrupt) {
					// One damaged record does not hide the other tasks.
					tasks[i] = s.damaged(id, latest[id], err)
					continue
				}
				if err != nil {
					errs[i] = err
					continue
				}
				tasks[i] = s.task(id, a)
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return tasks, nil
}

// Task returns the task with the given id as of its latest finished attempt.
// A task whose first attempt has stored something but not finished has
// Status StatusRunning and Attempt 0.
func (s *Step) Task(ctx context.Context, id string) (*Task, error) {
	if err := checkName("task id", id); err != nil {
		return nil, err
	}
	t, err := s.latest(ctx, id)
	if err == nil && t.Status == StatusRunning {
		// No finished attempt: the task exists only if it stored
		// something, which one listing of its folder tells; its siblings
		// are listed only to name them in the error.
		ok, lerr := s.f.s.Attempts().HasTask(ctx, s.Run, s.Name, id)
		if lerr != nil {
			return nil, lerr
		}
		if !ok {
			ids, lerr := s.f.s.Attempts().Tasks(ctx, s.Run, s.Name)
			if lerr != nil {
				return nil, lerr
			}
			return nil, notFound("step %s has no task %q (its tasks: %s)", s.Pathspec(), id, listOf(ids))
		}
	}
	return t, err
}

// TaskAttempt returns the task as of one attempt (0 is the first), finished
// or not; an attempt with no record is not found.
func (s *Step) TaskAttempt(ctx context.Context, id string, attempt int) (*Task, error) {
	if err := checkName("task id", id); err != nil {
		return nil, err
	}
	if attempt < 0 {
		return nil, notFound("attempt %d of task %s/%s is not valid: attempts count from 0", attempt, s.Pathspec(), id)
	}
	a, err := s.f.s.Attempts().Get(ctx, s.Run, s.Name, id, attempt)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound("task %s/%s has no finished attempt %d", s.Pathspec(), id, attempt)
	}
	if errors.Is(err, datastore.ErrCorrupt) {
		return s.damaged(id, attempt, err), nil
	}
	if err != nil {
		return nil, err
	}
	return s.task(id, a), nil
}

// latest reads the latest finished attempt of a task, or returns a running
// task when none finished.
func (s *Step) latest(ctx context.Context, id string) (*Task, error) {
	a, err := s.f.s.Attempts().Latest(ctx, s.Run, s.Name, id)
	if errors.Is(err, ErrNotFound) {
		return &Task{Flow: s.Flow, Run: s.Run, Step: s.Name, ID: id, Status: StatusRunning, f: s.f}, nil
	}
	if errors.Is(err, datastore.ErrCorrupt) {
		// The task is there, and its record is damaged: say so, as Tasks
		// does, rather than fail.
		return s.damaged(id, -1, err), nil
	}
	if err != nil {
		return nil, err
	}
	return s.task(id, a), nil
}

// damaged is a task whose attempt record (attempt < 0: its latest) cannot
// be read: Status StatusDamaged, Error naming the record and why.
func (s *Step) damaged(id string, attempt int, err error) *Task {
	return &Task{Flow: s.Flow, Run: s.Run, Step: s.Name, ID: id, Attempt: max(attempt, 0), Status: StatusDamaged, Error: err.Error(), f: s.f}
}

// task makes a Task of an attempt record.
func (s *Step) task(id string, a datastore.Attempt) *Task {
	return &Task{
		Flow: s.Flow, Run: s.Run, Step: s.Name, ID: id,
		Attempt: a.Attempt, Status: a.Status, Start: a.Start, End: a.End,
		ExitCode: a.ExitCode, Error: a.Error, Inputs: a.Inputs, Indices: a.Indices,
		ForeachWidth: a.ForeachWidth, SwitchTarget: a.SwitchTarget, Origin: a.Origin,
		CachedFrom: cachedTask(a.CachedFrom), CacheKey: a.CacheKey,
		refs: a.Artifacts, card: a.Card, f: s.f,
	}
}

// cachedTask is the task of a cache hit's "run/step/task/attempt".
func cachedTask(from string) string {
	if i := strings.LastIndexByte(from, '/'); i >= 0 && strings.Count(from, "/") == 3 {
		return from[:i]
	}
	return from
}

// listOf renders names for a message, eliding long lists.
func listOf(names []string) string {
	const show = 10
	switch {
	case len(names) == 0:
		return "none"
	case len(names) > show:
		return strings.Join(names[:show], ", ") + fmt.Sprintf(", … %d more", len(names)-show)
	default:
		return strings.Join(names, ", ")
	}
}
