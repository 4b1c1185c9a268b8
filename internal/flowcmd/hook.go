package flowcmd

import (
	"context"
	"fmt"
	"io"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/task"
)

// runHook runs the flow's exit hook after a local run ended and says how
// it went. A failing hook is reported, and recorded with the run, but
// leaves the run's status and the exit code as they are; only a datastore
// that cannot record it is an error.
func runHook(ctx context.Context, env *command.Env, f *Flow, store *datastore.Store, run, status, errMsg string, quiet bool) error {
	if f.Def.OnFinish == nil {
		return nil
	}
	var out io.Writer = env.Stdout
	if quiet {
		out = nil
	}
	rec, err := task.RunHook(ctx, store, f.Def, run, status, errMsg, out)
	if err != nil {
		return err
	}
	if rec.Status != datastore.StatusSucceeded {
		fmt.Fprintf(env.Stderr, "the exit hook of run %s failed (the run %s all the same): %s\n", run, status, rec.Error)
		return nil
	}
	if !quiet {
		fmt.Fprintf(env.Stdout, "exit hook of run %s succeeded\n", run)
	}
	return nil
}
