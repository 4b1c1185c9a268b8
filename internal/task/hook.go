package task

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// HookStep is the name a hook's Context gives as its step.
const HookStep = "on_finish"

// RunHook runs the flow's exit hook (flow.Flow.OnFinish) once for run,
// which ended with status (and errMsg when it failed), and records its
// outcome (datastore.HookRecord). A failing hook is a record with status
// failed, never an error, and changes nothing of the run; the error is
// the datastore's. Its output goes to out and into the record. A flow
// without a hook records nothing and returns nil.
func RunHook(ctx context.Context, store *datastore.Store, def *flow.Flow, run, status, errMsg string, out io.Writer) (*datastore.HookRecord, error) {
	if def.OnFinish == nil {
		return nil, nil
	}
	if out == nil {
		out = io.Discard
	}
	var buf bytes.Buffer
	w := io.MultiWriter(out, &buf)
	l := &loader{attempts: store.Attempts(), blobs: store.Blobs(), flow: def}
	o := &flow.Outcome{RunID: run, Status: status, Error: errMsg,
		Load: func(step, task string) (any, error) {
			if def.Step(step) == nil {
				return nil, fmt.Errorf("flow %s has no step %q", def.Name, step)
			}
			st, _, err := l.load(ctx, pathspec.Task(run, step, task).String(), false)
			if err != nil {
				return nil, err
			}
			return st.Interface(), nil
		}}
	c := flow.NewContext(ctx, flow.TaskInfo{Flow: def.Name, RunID: run, Step: HookStep, TaskID: "0"}, w)
	rec := datastore.HookRecord{RunStatus: status, Start: timeNow()}
	err := callHook(def.OnFinish, c, o)
	c.RemoveScratch()
	rec.End = timeNow()
	rec.Status = datastore.StatusSucceeded
	if err != nil {
		rec.Status, rec.Error = datastore.StatusFailed, err.Error()
	}
	rec.Output = buf.String()
	if perr := store.Runs().PutHook(context.WithoutCancel(ctx), run, rec); perr != nil {
		return &rec, fmt.Errorf("run %s: record its exit hook: %w", run, perr)
	}
	return &rec, nil
}

// callHook calls the hook, turning a panic into an error.
func callHook(h *flow.Hook, c *flow.Context, o *flow.Outcome) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("exit hook: panic: %v\n%s", r, debug.Stack())
		}
	}()
	if err := h.Func(c, o); err != nil {
		return fmt.Errorf("exit hook: %w", err)
	}
	return nil
}

// timeNow is the time of a hook record, in UTC like every record.
func timeNow() time.Time { return time.Now().UTC() }
