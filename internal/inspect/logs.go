package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/usage"
)

// Logs copies a task attempt's saved stdout to in.Stdout and its stderr to
// in.Stderr (only one of them if stream is set). attempt < 0 is the latest
// finished attempt; a task with no finished attempt shows attempt 0 so far.
// An attempt still running shows its output up to the last part its
// supervisor saved (datastore.Logs.Open).
func (in *Inspector) Logs(ctx context.Context, ps pathspec.Pathspec, attempt int, stream string) error {
	streams := []string{client.Stdout, client.Stderr}
	switch stream {
	case "":
	case client.Stdout, client.Stderr:
		streams = []string{stream}
	default:
		return usage.Errorf("--stream %q is not a stream; use stdout or stderr (or omit it for both)", stream)
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
	if t.Origin != "" && attempt == t.Attempt {
		// Reused by resume: the output is the task's that ran.
		if o, err := t.OriginTask(ctx); err == nil {
			fmt.Fprintf(in.Stderr, "note: %s was reused by resume from %s; these are the logs of that task (attempt %d)\n", t.Pathspec(), o.Pathspec(), o.Attempt)
			t, attempt = o, o.Attempt
		}
	} else if t.CachedFrom != "" && attempt == t.Attempt {
		// Found in the step cache: the output is the task's that ran.
		if o, err := t.CachedTask(ctx); err == nil {
			fmt.Fprintf(in.Stderr, "note: %s was found in the step cache, from %s; these are the logs of that task (attempt %d)\n", t.Pathspec(), o.Pathspec(), o.Attempt)
			t, attempt = o, o.Attempt
		}
	}
	if t.Status == client.StatusRunning && attempt == t.Attempt {
		fmt.Fprintf(in.Stderr, "note: %s is still running; this is its output up to the last save (every few seconds)\n", t.Pathspec())
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
