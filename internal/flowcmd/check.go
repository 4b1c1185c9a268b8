package flowcmd

import (
	"context"
	"fmt"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/usage"
)

func cmdCheck(f *Flow) *command.Command {
	return &command.Command{
		Name:      "check",
		UsageLine: "check",
		Short:     "lint the flow definition",
		Long: `Check lints the flow definition: step names, transitions, joins, parameters,
configs and per-step options. It prints every problem with its fix and exits
with status 2, or prints a summary and exits 0. Nothing runs.`,
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("check takes no arguments, got %q", args)
			}
			g, err := f.Graph()
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "flow %s is valid: %d steps, %d parameters, %d configs\n",
				g.Flow.Name, len(g.Nodes), len(g.Flow.Params), len(g.Flow.Configs))
			return nil
		},
	}
}
