package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/client/s3client"
	"github.com/stepflow/stepflow/internal/cli"
	"github.com/stepflow/stepflow/internal/pathspec"
)

const prog = "stepflow"

// run runs the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &cli.Env{Stdout: stdout, Stderr: stderr, Getenv: getenv, Args0: prog}
	root := &rootFlag{getenv: getenv}
	// Accept the root before the command too: stepflow --datastore-root DIR runs FLOW.
	if len(args) > 0 && (args[0] == "--datastore-root" || args[0] == "-datastore-root") {
		if len(args) < 2 {
			fmt.Fprintf(stderr, "%s: --datastore-root needs a directory\n", prog)
			return cli.ExitUsage
		}
		root.dir, args = args[1], args[2:]
	} else if len(args) > 0 {
		for _, p := range []string{"--datastore-root=", "-datastore-root="} {
			if v, ok := strings.CutPrefix(args[0], p); ok {
				root.dir, args = v, args[1:]
			}
		}
	}
	return cli.RunCommands(ctx, env, commands(root), args)
}

func commands(root *rootFlag) []*cli.Command {
	return []*cli.Command{cmdFlows(root), cmdRuns(root), cmdShow(root), cmdLogs(root), cmdDump(root), cmdConfigure()}
}

// rootFlag selects the datastore.
type rootFlag struct {
	dir    string
	getenv func(string) string
}

func (r *rootFlag) register(fs *flag.FlagSet) {
	fs.StringVar(&r.dir, "datastore-root", r.dir, "datastore root directory (env STEPFLOW_DATASTORE_ROOT; default ./.stepflow)")
}

func (r *rootFlag) resolved() string {
	if r.dir != "" {
		return r.dir
	}
	if d := r.getenv("STEPFLOW_DATASTORE_ROOT"); d != "" {
		return d
	}
	return cli.DefaultDatastoreRoot
}

// open opens the datastore; a missing one is a usage error.
func (r *rootFlag) open() (*client.Client, error) {
	root := r.resolved()
	open := client.Open
	if strings.HasPrefix(root, "s3://") {
		open = func(root string) (*client.Client, error) { return s3client.Open(context.Background(), root) }
	}
	c, err := open(root)
	if errors.Is(err, client.ErrNotFound) {
		return nil, cli.Usagef("%v; point --datastore-root (or STEPFLOW_DATASTORE_ROOT) at the directory your runs use", err)
	}
	if err != nil {
		return nil, &cli.UsageError{Err: err}
	}
	return c, nil
}

// inspector opens a flow that has runs; an unknown flow is a usage error.
func (r *rootFlag) inspector(ctx context.Context, env *cli.Env, flowName string) (*cli.Inspector, error) {
	c, err := r.open()
	if err != nil {
		return nil, err
	}
	flows, err := c.Flows(ctx)
	if err != nil {
		return nil, err
	}
	f := c.Flow(flowName)
	if !slices.Contains(flows, flowName) {
		known := strings.Join(flows, ", ")
		if known == "" {
			known = "none"
		}
		return nil, cli.Usagef("flow %q has no runs in datastore %s (its flows: %s); list them with '%s flows'", flowName, c.Root(), known, prog)
	}
	return &cli.Inspector{Flow: f, Stdout: env.Stdout, Stderr: env.Stderr, RunsCmd: prog + " runs " + flowName}, nil
}

// parsePath splits FLOW/RUN[/STEP[/TASK]] with min..max parts below FLOW.
func parsePath(s string, minParts, maxParts int, form, example string) (string, pathspec.Pathspec, error) {
	bad := func(why string) error {
		return cli.Usagef("pathspec %q is malformed: %s; write %s (e.g. %s)", s, why, form, example)
	}
	parts := strings.Split(s, "/")
	if n := len(parts) - 1; n < minParts || n > maxParts {
		return "", pathspec.Pathspec{}, bad(fmt.Sprintf("it has %d part(s)", len(parts)))
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "", pathspec.Pathspec{}, bad("empty or relative part")
		}
	}
	var ps pathspec.Pathspec
	if len(parts) > 1 {
		ps.Run = parts[1]
	}
	if len(parts) > 2 {
		ps.Step = parts[2]
	}
	if len(parts) > 3 {
		ps.Task = parts[3]
	}
	return parts[0], ps, nil
}

const taskForm, taskExample = "FLOW/RUN/STEP/TASK", "HelloFlow/latest/train/3"

func cmdFlows(root *rootFlag) *cli.Command {
	return &cli.Command{
		Name:      "flows",
		UsageLine: "flows [--datastore-root DIR]",
		Short:     "list the flows in the datastore",
		Long: `Flows lists the flows that have runs in the datastore, with their number of runs
and their latest run.`,
		Flags: func(fs *flag.FlagSet) { root.register(fs) },
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("flows takes no arguments, got %q", args)
			}
			c, err := root.open()
			if err != nil {
				return err
			}
			flows, err := c.Flows(ctx)
			if err != nil {
				return err
			}
			if len(flows) == 0 {
				fmt.Fprintf(env.Stderr, "no flows in datastore %s\n", c.Root())
				return nil
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "FLOW\tRUNS\tLATEST\tSTATUS\tSTART")
			for _, name := range flows {
				runs, err := c.Flow(name).Runs(ctx)
				if err != nil {
					return err
				}
				if len(runs) == 0 {
					fmt.Fprintf(tw, "%s\t0\t-\t-\t-\n", name)
					continue
				}
				r := runs[0]
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", name, len(runs), r.ID, r.Status, cli.FormatTime(r.Start))
			}
			return tw.Flush()
		},
	}
}

func cmdRuns(root *rootFlag) *cli.Command {
	var asJSON bool
	return &cli.Command{
		Name:      "runs",
		UsageLine: "runs [--json] [--datastore-root DIR] FLOW",
		Short:     "list a flow's runs, newest first",
		Long: `Runs lists a flow's runs, newest first: id, status, start (local time) and
duration. A run with no recorded end is "running": it is going, or its runtime
was killed before recording the end. A run on AWS Step Functions records its
end only when it succeeds: the flow's 'step-functions status RUN' tells the
others. With --json it prints a JSON array.`,
		Flags: func(fs *flag.FlagSet) {
			root.register(fs)
			fs.BoolVar(&asJSON, "json", false, "print a JSON array")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 || strings.Contains(args[0], "/") || args[0] == "" {
				return cli.Usagef("runs takes one FLOW name, got %q; list the flows with '%s flows'", args, prog)
			}
			in, err := root.inspector(ctx, env, args[0])
			if err != nil {
				return err
			}
			return in.Runs(ctx, asJSON)
		},
	}
}

func cmdLogs(root *rootFlag) *cli.Command {
	var (
		attempt int
		stream  string
	)
	return &cli.Command{
		Name:      "logs",
		UsageLine: "logs [--attempt N] [--stream stdout|stderr] [--datastore-root DIR] FLOW/RUN/STEP/TASK",
		Short:     "print a task's stdout and stderr",
		Long: `Logs prints what a task attempt wrote: its stdout to stdout, then its stderr to
stderr. The attempt is the latest finished one unless --attempt N (0 for the
first) is given; --stream prints only one of the two. RUN may be "latest".`,
		Flags: func(fs *flag.FlagSet) {
			root.register(fs)
			fs.IntVar(&attempt, "attempt", -1, "attempt number (0 for the first); default: the latest finished")
			fs.StringVar(&stream, "stream", "", "print only this stream: stdout or stderr")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("logs takes one %s, got %d arguments; run '%s logs --help'", taskForm, len(args), prog)
			}
			flow, ps, err := parsePath(args[0], 3, 3, taskForm, taskExample)
			if err != nil {
				return err
			}
			in, err := root.inspector(ctx, env, flow)
			if err != nil {
				return err
			}
			return in.Logs(ctx, ps, attempt, stream)
		},
	}
}

func cmdDump(root *rootFlag) *cli.Command {
	var (
		asJSON  bool
		attempt int
	)
	return &cli.Command{
		Name:      "dump",
		UsageLine: "dump [--json] [--attempt N] [--datastore-root DIR] FLOW/RUN/STEP/TASK [ARTIFACT]",
		Short:     "print a task's artifacts",
		Long: `Dump prints the artifacts of a task's latest finished attempt (or of attempt N),
one "Name: value" per artifact, values as indented JSON ([]byte values as their
size and a hex preview). With ARTIFACT it prints only that value. With --json
it prints a JSON object of artifact name to value (with ARTIFACT, just the
value). RUN may be "latest".`,
		Flags: func(fs *flag.FlagSet) {
			root.register(fs)
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			fs.IntVar(&attempt, "attempt", -1, "attempt number (0 for the first); default: the latest finished")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return cli.Usagef("dump takes %s and an optional ARTIFACT, got %d arguments; run '%s dump --help'", taskForm, len(args), prog)
			}
			flow, ps, err := parsePath(args[0], 3, 3, taskForm, taskExample)
			if err != nil {
				return err
			}
			in, err := root.inspector(ctx, env, flow)
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			return in.Dump(ctx, ps, attempt, name, asJSON)
		},
	}
}
