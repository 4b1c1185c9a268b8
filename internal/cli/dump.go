package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/pathspec"
)

func cmdDump() *Command {
	var (
		ds      datastoreFlags
		asJSON  bool
		attempt int
	)
	return &Command{
		Name:      "dump",
		UsageLine: "dump [--json] [--attempt N] RUN/STEP/TASK [ARTIFACT]",
		Short:     "print a task's artifacts",
		Long: `Dump prints the artifacts of a task's latest finished attempt (or of attempt N),
one "Name: value" per artifact, values as indented JSON ([]byte values as their
size and a hex preview). With ARTIFACT it prints only that value.

With --json it prints a JSON object of artifact name to value (with ARTIFACT,
just the value). RUN may be "latest", the newest run.`,
		Flags: func(fs *flag.FlagSet) {
			ds.register(fs)
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			fs.IntVar(&attempt, "attempt", -1, "attempt number (0 for the first); default: the latest finished")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return Usagef("dump takes RUN/STEP/TASK and an optional ARTIFACT, got %d arguments; run '%s dump --help'", len(args), env.Args0)
			}
			ps, err := pathspec.Parse(args[0], 3)
			if err != nil {
				return &UsageError{Err: err}
			}
			in, err := flowInspector(env, &ds)
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

// Dump prints the artifacts of a task (attempt < 0: its latest finished
// attempt), or only the named one.
func (in *Inspector) Dump(ctx context.Context, ps pathspec.Pathspec, attempt int, name string, asJSON bool) error {
	t, err := in.Task(ctx, ps, attempt)
	if err != nil {
		return err
	}
	if t.Status == client.StatusRunning {
		return Usagef("task %s has no finished attempt yet, so no artifacts to show; wait for it, or read its output so far with the logs command",
			t.Pathspec())
	}
	if t.Status == client.StatusFailed {
		fmt.Fprintf(in.Stderr, "note: attempt %d of %s failed: %s\n", t.Attempt, t.Pathspec(), firstLine(t.Error))
	}
	names := t.Artifacts()
	if name != "" {
		names = []string{name}
	}
	values := make(map[string]json.RawMessage, len(names))
	for _, n := range names {
		a, err := t.Artifact(ctx, n)
		if errors.Is(err, client.ErrNotFound) {
			return Usagef("%v; dump without ARTIFACT to see them all", err)
		}
		if err != nil {
			return err
		}
		switch {
		case asJSON && name != "":
			return writeJSON(in.Stdout, a.JSON())
		case asJSON:
			values[n] = a.JSON()
		case name != "":
			fmt.Fprintln(in.Stdout, a.String())
			return nil
		default:
			fmt.Fprintf(in.Stdout, "%s: %s\n", n, a.String())
		}
	}
	if asJSON {
		return writeJSON(in.Stdout, values)
	}
	if len(names) == 0 {
		fmt.Fprintf(in.Stderr, "task %s (attempt %d) has no artifacts\n", t.Pathspec(), t.Attempt)
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if s == "" {
		return "(no error recorded)"
	}
	return s
}
