package flowcmd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/inspect"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/taskcontract"
	"github.com/stepflow/stepflow/internal/usage"
)

// stepHook is `step --hook STATUS` (STEPFLOW_HOOK): the exit hook of a run
// on AWS Step Functions, run by the state machine's hook task once the
// run ended (docs/state-machine.md, "Exit hook"). It runs the hook as a
// local run's end does, tells it the outcome and, for a run that failed,
// the tasks that failed, and records it (hook.json). A failing hook is
// recorded and reported, and the command still exits 0: the hook never
// changes the run's outcome. Only a datastore that cannot record it is
// an error.
func stepHook(ctx context.Context, env *command.Env, f *Flow, inv taskcontract.Invocation) error {
	if f.Def.OnFinish == nil {
		return usage.Errorf("flow %s has no exit hook (OnFinish), but the state machine ran its hook task: the deployment was made from another version of the flow; deploy it again with step-functions create", f.Def.Name)
	}
	ds := datastoreFlags{root: inspect.Root{Dir: inv.DatastoreRoot}}
	store, err := ds.open(ctx, env, f.Def.Name)
	if err != nil {
		return err
	}
	status, errMsg := datastore.StatusSucceeded, ""
	if !taskcontract.HookSucceeded(inv.Hook) {
		status = datastore.StatusFailed
		if errMsg, err = runFailure(ctx, store, inv.RunID, inv.Hook); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "running the exit hook of run %s (%s)\n", inv.RunID, inv.Hook)
	rec, err := task.RunHook(ctx, store, f.Def, inv.RunID, status, errMsg, env.Stdout)
	if err != nil {
		return err
	}
	if rec.Status != datastore.StatusSucceeded {
		fmt.Fprintf(env.Stderr, "the exit hook of run %s failed (the run %s all the same): %s\n", inv.RunID, status, rec.Error)
		return nil
	}
	fmt.Fprintf(env.Stdout, "exit hook of run %s succeeded\n", inv.RunID)
	return nil
}

// runFailure is what a hook is told about why a cloud run failed: how its
// execution ended and each task that failed with no attempt succeeding
// after (a caught failure succeeded), with its error, as a local run
// names the task that failed.
func runFailure(ctx context.Context, store *datastore.Store, run, how string) (string, error) {
	entries, err := store.Attempts().Index(ctx, run)
	if err != nil {
		return "", fmt.Errorf("run %s: read its tasks for the exit hook: %w", run, err)
	}
	type key struct{ step, task string }
	succeeded := map[key]bool{}
	latest := map[key]datastore.IndexEntry{}
	for _, e := range entries {
		k := key{e.Step, e.Task}
		switch e.Status {
		case datastore.StatusSucceeded:
			succeeded[k] = true
		case datastore.StatusFailed:
			if l, ok := latest[k]; !ok || e.Attempt > l.Attempt {
				latest[k] = e
			}
		}
	}
	var failed []string
	for k, e := range latest {
		if succeeded[k] {
			continue
		}
		msg := "failed"
		if a, err := store.Attempts().Get(ctx, run, e.Step, e.Task, e.Attempt); err == nil && a.Error != "" {
			msg = a.Error
		}
		failed = append(failed, fmt.Sprintf("task %s failed: %s", pathspec.Task(run, e.Step, e.Task), msg))
	}
	slices.Sort(failed)
	what := "the run ended " + how + " on AWS Step Functions"
	if len(failed) == 0 {
		return what, nil
	}
	return what + ": " + strings.Join(failed, "; "), nil
}
