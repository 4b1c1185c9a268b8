package sfncmd

import (
	"context"
	"fmt"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/flowcmd"
)

// catchUp is trigger --on-finish-of: it starts the run the finish of the
// upstream run (FLOW/RUN) starts through the flow's TriggerOnFinish
// (deploy.Ops.OnFinishOf), prints its run id and, with --wait, follows it.
func catchUp(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings, upstream string, force bool, wait watchFlags) error {
	g, err := f.Graph()
	if err != nil {
		return err
	}
	ops, err := connect(ctx, env, f, s)
	if err != nil {
		return err
	}
	id, err := ops.OnFinishOf(ctx, g.Flow, s, upstream, force)
	if err != nil {
		if id != "" {
			fmt.Fprintf(env.Stderr, "%s: run %s may or may not have started; check with '%s step-functions status %s' before catching up again\n", env.Args0, id, env.Args0, id)
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "run %s of %s started on AWS Step Functions, as the finish of %s starts it\n", id, f.Def.Name, upstream)
	if wait.on {
		return watch(ctx, env, f, ops, g.Order, s, id, wait.interval)
	}
	fmt.Fprintf(env.Stdout, "follow it with: %s step-functions status %s\n", env.Invocation(), id)
	return nil
}
