package cli

import (
	"context"
	"errors"
	"flag"
	"io"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/pathspec"
)

func cmdLogs() *Command {
	var (
		ds      datastoreFlags
		attempt int
		stream  string
	)
	return &Command{
		Name:      "logs",
		UsageLine: "logs [--attempt N] [--stream stdout|stderr] RUN/STEP/TASK",
		Short:     "print a task's stdout and stderr",
		Long: `Logs prints what a task attempt wrote: its stdout to stdout, then its stderr to
stderr. The attempt is the latest finished one unless --attempt N (0 for the
first) is given; --stream prints only one of the two. RUN may be "latest", the
newest run.`,
		Flags: func(fs *flag.FlagSet) {
			ds.register(fs)
			fs.IntVar(&attempt, "attempt", -1, "attempt number (0 for the first); default: the latest finished")
			fs.StringVar(&stream, "stream", "", "print only this stream: stdout or stderr")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return Usagef("logs takes one RUN/STEP/TASK, got %d arguments; run '%s logs --help'", len(args), env.Args0)
			}
			ps, err := pathspec.Parse(args[0], 3)
			if err != nil {
				return &UsageError{Err: err}
			}
			in, err := flowInspector(env, &ds)
			if err != nil {
				return err
			}
			return in.Logs(ctx, ps, attempt, stream)
		},
	}
}

// Logs copies a task attempt's saved stdout to in.Stdout and its stderr to
// in.Stderr (only one of them if stream is set). attempt < 0 is the latest
// finished attempt; a task with no finished attempt shows attempt 0 so far.
func (in *Inspector) Logs(ctx context.Context, ps pathspec.Pathspec, attempt int, stream string) error {
	streams := []string{client.Stdout, client.Stderr}
	switch stream {
	case "":
	case client.Stdout, client.Stderr:
		streams = []string{stream}
	default:
		return Usagef("--stream %q is not a stream; use stdout or stderr (or omit it for both)", stream)
	}
	// An attempt still going (or killed) may have logs but no record: look
	// for the logs before requiring the attempt's record.
	t, err := in.Task(ctx, ps, -1)
	if err != nil {
		return err
	}
	if attempt < 0 {
		attempt = t.Attempt
	}
	found := 0
	for _, s := range streams {
		w := in.Stdout
		if s == client.Stderr {
			w = in.Stderr
		}
		rc, err := t.Log(ctx, attempt, s)
		if errors.Is(err, client.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		found++
		_, err = io.Copy(w, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	if found == 0 {
		if _, err := in.Task(ctx, ps, attempt); err != nil {
			return err // no such attempt: says which exist
		}
		// The attempt finished without saving the log(s): nothing to print.
	}
	return nil
}
