package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/stepflow/stepflow/internal/datastore"
)

// Progress is every attempt of a run's steps, as its attempt index records
// them: what a view of a whole run needs, read with one listing instead of
// one read per task.
type Progress struct {
	// Steps maps a step's name to its tasks, ordered as Step.Tasks orders
	// them, each as of its latest attempt. A task that is running has
	// Status StatusRunning and its attempt's start. A task has no Error,
	// Inputs, Indices, artifacts or card: read it with Step.Task for those.
	Steps map[string][]*Task
	// Earlier maps a step's name to the earlier attempts of its retried
	// tasks, in the same order.
	Earlier map[string][]*Task
}

// Progress reads the run's attempt index. ok is false for a run recorded
// before Stepflow indexed attempts: list it with Steps and Step.Tasks.
func (r *Run) Progress(ctx context.Context) (p *Progress, ok bool, err error) {
	if !r.indexed {
		return nil, false, nil
	}
	entries, err := r.f.s.Attempts().Index(ctx, r.ID)
	if err != nil {
		return nil, false, err
	}
	p = &Progress{Steps: map[string][]*Task{}, Earlier: map[string][]*Task{}}
	for i, e := range entries {
		// The entries of a task come together, by attempt; the last wins.
		if i+1 < len(entries) && entries[i+1].Step == e.Step && entries[i+1].Task == e.Task {
			if entries[i+1].Attempt != e.Attempt && e.Status != datastore.StatusRunning {
				p.Earlier[e.Step] = append(p.Earlier[e.Step], r.indexTask(e))
			}
			continue
		}
		p.Steps[e.Step] = append(p.Steps[e.Step], r.indexTask(e))
	}
	return p, true, nil
}

func (r *Run) indexTask(e datastore.IndexEntry) *Task {
	t := &Task{Flow: r.Flow, Run: r.ID, Step: e.Step, ID: e.Task, Attempt: e.Attempt, Status: e.Status,
		Start: e.Start, End: e.End, ForeachWidth: e.ForeachWidth, f: r.f}
	if e.OriginRun != "" {
		t.Origin = e.OriginRun + "/" + e.Step + "/" + e.Task
	}
	if e.CachedRun != "" {
		t.CachedFrom = e.CachedRun + "/" + e.Step + "/" + e.Task
	}
	return t
}

// Load returns the task as its attempt's record holds it: for a task from
// Progress, with its error, inputs, artifacts and card. A running task is
// returned as it is; one whose record is damaged or missing (the index
// lists it as finished) has Status StatusDamaged and Error saying why.
func (t *Task) Load(ctx context.Context) (*Task, error) {
	if t.Status == StatusRunning {
		return t, nil
	}
	s := &Step{Flow: t.Flow, Run: t.Run, Name: t.Step, f: t.f}
	a, err := t.f.s.Attempts().Get(ctx, t.Run, t.Step, t.ID, t.Attempt)
	if errors.Is(err, datastore.ErrCorrupt) {
		return s.damaged(t.ID, t.Attempt, err), nil
	}
	if errors.Is(err, ErrNotFound) {
		// The attempt index lists the attempt as finished, and its
		// record, written before that entry, is gone.
		return s.damaged(t.ID, t.Attempt, fmt.Errorf("the attempt index lists attempt %d as %s, and its record is missing: %w", t.Attempt, t.Status, err)), nil
	}
	if err != nil {
		return nil, err
	}
	return s.task(t.ID, a), nil
}
