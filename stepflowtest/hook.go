package stepflowtest

import (
	"context"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/task"
)

// Hook is how a run's exit hook (stepflow's Flow.OnFinish) went.
type Hook struct {
	Status    string // "succeeded" or "failed"
	RunStatus string // the run's status the hook was told
	Error     string // the hook's error, when it failed
	Output    string // what it printed
}

// Hook returns how the flow's exit hook went, which Run runs after the
// run as the run command does; nil when the flow has none.
func (r *Result[T]) Hook() *Hook {
	if r.hook == nil {
		return nil
	}
	return &Hook{Status: r.hook.Status, RunStatus: r.hook.RunStatus, Error: r.hook.Error, Output: r.hook.Output}
}

// runHook runs the flow's exit hook after the test run.
func runHook(ctx context.Context, store *datastore.Store, def *flow.Flow, runErr error) (*datastore.HookRecord, error) {
	status, msg := datastore.StatusSucceeded, ""
	if runErr != nil {
		status, msg = datastore.StatusFailed, runErr.Error()
	}
	return task.RunHook(ctx, store, def, RunID, status, msg, nil)
}
