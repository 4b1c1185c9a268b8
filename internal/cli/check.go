package cli

import (
	"context"
	"fmt"
)

func cmdCheck() *Command {
	return &Command{
		Name:      "check",
		UsageLine: "check",
		Short:     "lint the flow definition",
		Long: `Check lints the flow definition: step names, transitions, joins, parameters,
configs and per-step options. It prints every problem with its fix and exits
with status 2, or prints a summary and exits 0. Nothing runs.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 0 {
				return Usagef("check takes no arguments, got %q", args)
			}
			g, err := env.Graph()
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "flow %s is valid: %d steps, %d parameters, %d configs\n",
				g.Flow.Name, len(g.Nodes), len(g.Flow.Params), len(g.Flow.Configs))
			return nil
		},
	}
}
