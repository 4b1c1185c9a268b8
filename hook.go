package stepflow

import (
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
)

// Finished is what an exit hook (Flow.OnFinish) is told about the run
// that ended: its outcome, and a read-only view of its tasks' artifacts.
type Finished[T any] struct {
	o *flow.Outcome
}

// RunID returns the id of the run that ended.
func (r *Finished[T]) RunID() string { return r.o.RunID }

// Succeeded reports whether the run succeeded.
func (r *Finished[T]) Succeeded() bool { return r.o.Status == datastore.StatusSucceeded }

// Status returns "succeeded" or "failed".
func (r *Finished[T]) Status() string { return r.o.Status }

// Error returns why the run failed (the failed task and its error), or ""
// when it succeeded.
func (r *Finished[T]) Error() string { return r.o.Error }

// Task returns a copy of the state of task (its id: "0", or the foreach
// index, e.g. "2") of step after its latest successful attempt: changing
// it changes nothing stored. A task that did not succeed is an error.
func (r *Finished[T]) Task(step, task string) (*T, error) {
	v, err := r.o.Load(step, task)
	if err != nil {
		return nil, err
	}
	return v.(*T), nil
}

// End returns the state of the end step, as Task("end", "0") does: an
// error when the run failed before it.
func (r *Finished[T]) End() (*T, error) { return r.Task("end", "0") }

// OnFinish sets the flow's exit hook: fn runs once per run, after the run
// ended, whether it succeeded or failed, with its outcome and a read-only
// view of its artifacts (to notify someone, or to clean up). Locally the
// run command runs it in its own process; its outcome and output are
// recorded with the run (stepflow show FLOW/RUN) and a failing hook never
// changes the run's status or the command's exit code. On AWS Step
// Functions it runs as a Batch job after each run, whether the run
// succeeded, failed, timed out or was stopped (docs/state-machine.md,
// "Exit hook").
func (f *Flow[T]) OnFinish(fn func(c *Context, run *Finished[T]) error) *Flow[T] {
	if fn == nil {
		f.b.OnFinish(nil)
		return f
	}
	f.b.OnFinish(func(c *flow.Context, o *flow.Outcome) error {
		return fn(&Context{c: c}, &Finished[T]{o: o})
	})
	return f
}
