// Package inspect holds the commands that read what runs left in a
// datastore: flows, runs, show, dump, logs and verify. A flow binary and the
// stepflow inspector both get them from here; they differ only in scope.
// In a flow binary the commands see that one flow and pathspecs are
// RUN/STEP/TASK; in stepflow they see every flow and pathspecs begin with
// FLOW/.
package inspect

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/usage"
	"github.com/stepflow/stepflow/internal/userconfig"
)

// Scope says which flows the commands see.
type Scope struct {
	// Flow is the one flow of a flow binary; "" means every flow of the
	// datastore, and pathspecs begin with FLOW/.
	Flow string
	// Root selects the datastore.
	Root *Root
}

// Commands returns the inspection commands of the scope: runs, dump, logs,
// tag and verify; with every flow in scope also flows and show, and with one
// flow card, which says which stepflow command shows a card (the
// inspector, cmd/stepflow, has its own card command, with the renderer).
func Commands(sc Scope) []*command.Command {
	cmds := []*command.Command{cmdRuns(sc), cmdDump(sc), cmdLogs(sc), cmdTag(sc), cmdVerify(sc)}
	if sc.Flow == "" {
		return append([]*command.Command{cmdFlows(sc)}, append(cmds, cmdShow(sc))...)
	}
	return append(cmds, cmdCard(sc))
}

// DefaultRoot is where local runs keep their data.
const DefaultRoot = userconfig.DefaultRoot

// Root is the --datastore-root flag, shared by every command of a program:
// the flag, else $STEPFLOW_DATASTORE_ROOT, else the datastore root of the
// config file 'stepflow configure aws' writes, else ./.stepflow
// (userconfig.ResolveRoot).
type Root struct{ Dir string }

// Register declares --datastore-root on fs.
func (r *Root) Register(fs *flag.FlagSet) {
	fs.Var((*rootFlag)(r), "datastore-root", "datastore root: a directory or s3://bucket/prefix (env STEPFLOW_DATASTORE_ROOT, else the config file's datastore_root, else ./.stepflow)")
}

// rootFlag is --datastore-root: an explicitly empty root is bad input,
// not the default.
type rootFlag Root

func (f *rootFlag) String() string {
	if f == nil {
		return ""
	}
	return f.Dir
}

func (f *rootFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty; give a directory or s3://bucket/prefix, or leave the flag out for $STEPFLOW_DATASTORE_ROOT, the configured root or ./.stepflow")
	}
	f.Dir = v
	return nil
}

// attemptFlag is --attempt N: a non-negative attempt number; -1, the
// default, means the latest finished attempt.
type attemptFlag int

func (a *attemptFlag) String() string { return strconv.Itoa(int(*a)) }

func (a *attemptFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not an attempt number; attempts count from 0 (leave the flag out for the latest)", v)
	}
	*a = attemptFlag(n)
	return nil
}

// Resolved returns the root from the flag, the environment, the config
// file or the default; a config file that cannot be read is bad input.
func (r *Root) Resolved(env *command.Env) (string, error) {
	root, err := r.Resolve(env)
	return root.Dir, err
}

// Resolve is Resolved, saying where the root came from.
func (r *Root) Resolve(env *command.Env) (userconfig.Root, error) {
	root, err := userconfig.ResolveRoot(r.Dir, env.Getenv)
	if err != nil {
		return root, usage.Wrap(err)
	}
	return root, nil
}

// OpenError adds to err, the error of opening the datastore at root,
// where a configured root came from: a plain flow binary seeing the s3://
// root of 'stepflow configure aws' learns why it reads S3 at all, and how
// to read a local datastore instead.
func OpenError(root userconfig.Root, err error) error {
	if err == nil || !root.Configured() {
		return err
	}
	return fmt.Errorf("%w (the datastore root %s is the datastore_root of the %s, written by 'stepflow configure aws'; give --datastore-root .stepflow, or set STEPFLOW_DATASTORE_ROOT, for a local datastore)", err, root.Dir, root.From)
}

// open opens the datastore for reading.
func (sc Scope) open(ctx context.Context, env *command.Env) (*client.Client, error) {
	root, err := sc.Root.Resolve(env)
	if err != nil {
		return nil, err
	}
	c, err := client.Open(ctx, root.Dir, client.WithEnv(env.Getenv))
	if errors.Is(err, client.ErrNotFound) {
		hint := "point --datastore-root (or STEPFLOW_DATASTORE_ROOT) at the datastore your runs use"
		if sc.Flow != "" {
			hint = fmt.Sprintf("start a run with '%s run', or %s", env.Invocation(), hint)
		}
		return nil, usage.Errorf("%w; %s", err, hint)
	}
	if err != nil {
		return nil, usage.Wrap(OpenError(root, err))
	}
	return c, nil
}

// inspector opens flowName in the datastore. In every-flow scope a flow
// without runs is bad input that lists the flows there are.
func (sc Scope) inspector(ctx context.Context, env *command.Env, flowName string) (*Inspector, error) {
	c, err := sc.open(ctx, env)
	if err != nil {
		return nil, err
	}
	if sc.Flow != "" {
		return &Inspector{Flow: c.Flow(flowName), Stdout: env.Stdout, Stderr: env.Stderr, RunsCmd: env.Invocation() + " runs", ResumePrefix: env.Invocation() + " resume",
			VerifyPrefix: env.Invocation() + " verify"}, nil
	}
	flows, err := c.Flows(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(flows, flowName) {
		known := strings.Join(flows, ", ")
		if known == "" {
			known = "none"
		}
		return nil, usage.Errorf("flow %q has no runs in datastore %s (its flows: %s); list them with '%s flows'", flowName, c.Root(), known, env.Invocation())
	}
	return &Inspector{Flow: c.Flow(flowName), Stdout: env.Stdout, Stderr: env.Stderr, RunsCmd: env.Invocation() + " runs " + flowName}, nil
}

// taskPath parses a task pathspec of the scope: RUN/STEP/TASK, or
// FLOW/RUN/STEP/TASK with every flow in scope.
func (sc Scope) taskPath(arg string) (string, pathspec.Pathspec, error) {
	if sc.Flow != "" {
		ps, err := pathspec.Parse(arg, 3)
		return sc.Flow, ps, usage.Wrap(err)
	}
	return parsePath(arg, 3, 3, "FLOW/RUN/STEP/TASK", "HelloFlow/latest/train/3")
}

// OpenTask parses a task pathspec of the scope and opens its flow.
func (sc Scope) OpenTask(ctx context.Context, env *command.Env, arg string) (*Inspector, pathspec.Pathspec, error) {
	flow, ps, err := sc.taskPath(arg)
	if err != nil {
		return nil, ps, err
	}
	in, err := sc.inspector(ctx, env, flow)
	return in, ps, err
}

// TaskForm is the form of a task pathspec in the scope: RUN/STEP/TASK, or
// FLOW/RUN/STEP/TASK with every flow in scope.
func (sc Scope) TaskForm() string {
	if sc.Flow != "" {
		return "RUN/STEP/TASK"
	}
	return "FLOW/RUN/STEP/TASK"
}

// parsePath splits FLOW/RUN[/STEP[/TASK]] with min..max parts below FLOW.
func parsePath(s string, minParts, maxParts int, form, example string) (string, pathspec.Pathspec, error) {
	bad := func(why string) error {
		return usage.Errorf("pathspec %q is malformed: %s; write %s (e.g. %s)", s, why, form, example)
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

func cmdFlows(sc Scope) *command.Command {
	return &command.Command{
		Name:      "flows",
		UsageLine: "flows [--datastore-root ROOT]",
		Short:     "list the flows in the datastore",
		Long: `Flows lists the flows that have runs in the datastore, with their number of runs
and their latest run.`,
		Flags: func(fs *flag.FlagSet) { sc.Root.Register(fs) },
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("flows takes no arguments, got %q", args)
			}
			c, err := sc.open(ctx, env)
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
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", name, len(runs), r.ID, r.Status, FormatTime(r.Start))
			}
			return tw.Flush()
		},
	}
}

// runStatuses are the statuses runs --status takes.
var runStatuses = []string{client.StatusSucceeded, client.StatusFailed, client.StatusRunning, client.StatusCrashed, client.StatusDamaged}

// tagsFlag collects a repeatable --tag.
type tagsFlag []string

func (t *tagsFlag) String() string { return strings.Join(*t, ",") }
func (t *tagsFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty tag; give a tag, or leave the flag out")
	}
	*t = append(*t, v)
	return nil
}

func cmdRuns(sc Scope) *command.Command {
	var (
		asJSON bool
		status string
		tags   tagsFlag
	)
	cmd := &command.Command{
		Name:      "runs",
		UsageLine: "runs [--json] [--tag TAG] [--status STATUS] [--datastore-root ROOT] FLOW",
		Short:     "list a flow's runs, newest first",
		Long: `Runs lists a flow's runs, newest first: id, status, start (local time) and
duration and tags (a resumed run also names its origin). A run with no
recorded end is "running" while its runtime is alive, and "crashed" once
its process is gone or its heartbeat is over a minute old (resume it). A
run whose records fail their checksum is "damaged", with a line on stderr
saying which record and why; the other runs are listed as usual (check
one with 'verify'). A run on AWS Step Functions records its end
only when it succeeds: for the others, ask the flow's 'step-functions status
RUN' or 'step-functions list-runs'. --tag keeps the runs with that tag
(repeat it: all of them), --status those with that status. With --json it
prints a JSON array.`,
		Flags: func(fs *flag.FlagSet) {
			sc.Root.Register(fs)
			fs.BoolVar(&asJSON, "json", false, "print a JSON array")
			fs.Var(&tags, "tag", "only runs with this tag (repeatable: every one)")
			fs.StringVar(&status, "status", "", "only runs with this status: "+strings.Join(runStatuses, ", "))
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if status != "" && !slices.Contains(runStatuses, status) {
				return usage.Errorf("--status %q is not a run status; use one of %s", status, strings.Join(runStatuses, ", "))
			}
			name := sc.Flow
			if name != "" {
				if len(args) > 0 {
					return usage.Errorf("runs takes no arguments, got %q; run '%s runs --help'", args, env.Invocation())
				}
			} else {
				if len(args) != 1 || strings.Contains(args[0], "/") || args[0] == "" {
					return usage.Errorf("runs takes one FLOW name, got %q; list the flows with '%s flows'", args, env.Invocation())
				}
				name = args[0]
			}
			in, err := sc.inspector(ctx, env, name)
			if sc.Flow != "" && errors.Is(err, client.ErrNotFound) {
				// No datastore yet: no runs.
				root, _ := sc.Root.Resolved(env) // read once already by inspector
				return WriteRuns(env.Stdout, env.Stderr, nil, name, root, asJSON)
			}
			if err != nil {
				return err
			}
			return in.Runs(ctx, RunFilter{Tags: tags, Status: status}, asJSON)
		},
	}
	if sc.Flow != "" {
		cmd.UsageLine = "runs [--json] [--tag TAG] [--status STATUS] [--datastore-root ROOT]"
		cmd.Short = "list the flow's runs, newest first"
	}
	return cmd
}

func cmdDump(sc Scope) *command.Command {
	var (
		asJSON, full bool
		attempt      = -1
		exportDir    string
	)
	form := sc.TaskForm()
	return &command.Command{
		Name:      "dump",
		UsageLine: "dump [--json | --full | --export DIR] [--attempt N] [--datastore-root ROOT] " + form + " [ARTIFACT]",
		Short:     "print a task's artifacts",
		Long: `Dump prints the artifacts of a task's latest finished attempt (or of attempt N),
one "Name: value" per artifact, values as indented JSON ([]byte values as their
size and a hex preview). With ARTIFACT it prints only that value. With --json
it prints a JSON object of artifact name to value (with ARTIFACT, just the
value). An artifact larger than 1 MiB is shown as its summary (type, length,
size; read from its first bytes), in text and JSON alike, unless --full, which
streams it (a stepflow.File or []byte as base64 in JSON).
With --export DIR it writes each artifact to a file in DIR instead: numeric
arrays (numeric slices, rectangular nested slices of them, []byte) as
NAME.npy, which numpy.load reads, a stepflow.File as its content, named NAME
with the extension of the file it was stored from (NAME.csv), anything else
as NAME.json: the files the UI's Download gives. RUN may be
"latest", the newest run, or "latest-successful", the newest that succeeded.`,
		Flags: func(fs *flag.FlagSet) {
			sc.Root.Register(fs)
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			fs.BoolVar(&full, "full", false, "print large artifacts in full, not as their summary")
			fs.Var((*attemptFlag)(&attempt), "attempt", "attempt number (0 for the first); default: the latest finished")
			fs.StringVar(&exportDir, "export", "", "write the artifacts to files in `DIR` (.npy for arrays, .json)")
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usage.Errorf("dump takes %s and an optional ARTIFACT, got %d arguments; run '%s dump --help'", form, len(args), env.Invocation())
			}
			in, ps, err := sc.OpenTask(ctx, env, args[0])
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			if asJSON && exportDir != "" {
				return usage.Errorf("dump takes --json or --export, not both: --json prints, --export writes files")
			}
			return in.Dump(ctx, ps, attempt, name, asJSON, full, exportDir)
		},
	}
}

func cmdLogs(sc Scope) *command.Command {
	var (
		attempt = -1
		stream  string
	)
	form := sc.TaskForm()
	return &command.Command{
		Name:      "logs",
		UsageLine: "logs [--attempt N] [--stream stdout|stderr] [--datastore-root ROOT] " + form,
		Short:     "print a task's stdout and stderr",
		Long: `Logs prints what a task attempt wrote: its stdout to stdout, then its stderr to
stderr. The attempt is the latest finished one unless --attempt N (0 for the
first) is given; --stream prints only one of the two. RUN may be "latest", the
newest run, or "latest-successful", the newest that succeeded. A task reused
by resume shows the logs of the task it was reused from. A task still running shows its output so far: a supervised task's
output is saved every 5 seconds while it runs (the whole of it when it ends),
so run logs again to see more.`,
		Flags: func(fs *flag.FlagSet) {
			sc.Root.Register(fs)
			fs.Var((*attemptFlag)(&attempt), "attempt", "attempt number (0 for the first); default: the latest finished")
			fs.StringVar(&stream, "stream", "", "print only this stream: stdout or stderr")
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) != 1 {
				return usage.Errorf("logs takes one %s, got %d arguments; run '%s logs --help'", form, len(args), env.Invocation())
			}
			in, ps, err := sc.OpenTask(ctx, env, args[0])
			if err != nil {
				return err
			}
			return in.Logs(ctx, ps, attempt, stream)
		},
	}
}

func cmdShow(sc Scope) *command.Command {
	return &command.Command{
		Name:      "show",
		UsageLine: "show [--datastore-root ROOT] FLOW[/RUN[/STEP]]",
		Short:     "show a run's steps, or a step's tasks",
		Long: `Show prints a run (FLOW alone: its latest run): status, start, duration,
parameters, and per step the number of tasks done, failed and running and the
step's duration, steps in the order they started. Tasks whose latest attempt
failed are listed with their error, and tasks whose record is damaged with
what is damaged and how to repair it (exit status 1 then).

With FLOW/RUN/STEP it lists the step's tasks instead: id, status, attempt,
start and duration. Everything comes from the stored records; no flow code is
needed. RUN may be "latest" (the newest run) or "latest-successful" (the
newest that succeeded).`,
		Flags: func(fs *flag.FlagSet) { sc.Root.Register(fs) },
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) != 1 {
				return usage.Errorf("show takes one FLOW/RUN (or FLOW, or FLOW/RUN/STEP), got %d arguments", len(args))
			}
			flow, ps, err := parsePath(args[0], 0, 2, "FLOW/RUN or FLOW/RUN/STEP", "HelloFlow/latest")
			if err != nil {
				return err
			}
			if ps.Run == "" {
				ps.Run = client.Latest
			}
			in, err := sc.inspector(ctx, env, flow)
			if err != nil {
				return err
			}
			r, err := in.Flow.Run(ctx, ps.Run)
			if errors.Is(err, datastore.ErrCorrupt) {
				return fmt.Errorf("%w; %s", err, in.RepairHint(ps.Run))
			}
			if err != nil {
				return notFoundUsage(err, fmt.Sprintf("list the runs with '%s'", in.RunsCmd))
			}
			if ps.Step != "" {
				return in.showStep(ctx, r, ps)
			}
			return in.showRun(ctx, r)
		},
	}
}

// notFoundUsage turns a not-found error into bad input with a fix; other
// errors (a corrupt record, an I/O failure) pass through.
func notFoundUsage(err error, fix string) error {
	if errors.Is(err, client.ErrNotFound) {
		return usage.Errorf("%v; %s", err, fix)
	}
	return err
}
