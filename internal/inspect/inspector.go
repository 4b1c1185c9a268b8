package inspect

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/trigger"
)

// Inspector runs the inspection commands on one flow of a datastore. The
// flow binary and the stepflow command both use it; they differ in how
// pathspecs are written and in the commands their messages suggest.
type Inspector struct {
	Flow   *client.Flow
	Stdout io.Writer
	Stderr io.Writer
	// RunsCmd is the command line listing the flow's runs, for messages
	// ("hello runs", "stepflow runs HelloFlow").
	RunsCmd string
	// ResumePrefix is the command line resuming a run, without its
	// --origin-run-id ("hello resume"); "" where no flow code is at hand.
	ResumePrefix string
	// VerifyPrefix is the command line verifying a run, without the run
	// ("hello verify"); "" means the stepflow inspector's, which names
	// runs FLOW/RUN.
	VerifyPrefix string
}

// ResumeCmd is the command line that resumes run: the flow binary's
// resume (the stepflow inspector has no flow code to run it).
func (in *Inspector) ResumeCmd(run string) string {
	return cmp.Or(in.ResumePrefix, "<the flow's program> resume") + " --origin-run-id " + run
}

// VerifyCmd is the command line that verifies run, with --repair when
// repair is set.
func (in *Inspector) VerifyCmd(run string, repair bool) string {
	prefix, arg := in.VerifyPrefix, run
	if prefix == "" {
		prefix, arg = "stepflow verify", in.Flow.Name()+"/"+run
	}
	if repair {
		prefix += " --repair"
	}
	return prefix + " " + arg
}

// RepairHint says how to repair damage found in run: verify names every
// damaged object, verify --repair removes what can be recomputed, resume
// recomputes it.
func (in *Inspector) RepairHint(run string) string {
	return fmt.Sprintf("see every damaged object with '%s', remove them with '%s', then recompute them with '%s'",
		in.VerifyCmd(run, false), in.VerifyCmd(run, true), in.ResumeCmd(run))
}

// Runs prints the flow's runs, newest first.
func (in *Inspector) Runs(ctx context.Context, filter RunFilter, asJSON bool) error {
	runs, err := in.Flow.Runs(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		switch r.Status {
		case client.StatusDamaged:
			fmt.Fprintf(in.Stderr, "run %s is damaged: %s; %s\n", r.ID, r.Error, in.RepairHint(r.ID))
		case client.StatusCrashed:
			if r.ResumedBy != "" {
				continue // it says so in its error: nothing to do
			}
			fmt.Fprintf(in.Stderr, "run %s crashed: %s; resume it with '%s'\n", r.ID, r.Error, in.ResumeCmd(r.ID))
		}
	}
	kept := filter.Keep(runs)
	if len(kept) == 0 && len(runs) > 0 && !asJSON {
		fmt.Fprintf(in.Stderr, "no runs of %s with %s (of %d runs)\n", in.Flow.Name(), filter, len(runs))
		return nil
	}
	return WriteRuns(in.Stdout, in.Stderr, kept, in.Flow.Name(), "", asJSON)
}

// String describes the filter as its flags.
func (f RunFilter) String() string {
	var parts []string
	for _, t := range f.Tags {
		parts = append(parts, "--tag "+t)
	}
	if f.Status != "" {
		parts = append(parts, "--status "+f.Status)
	}
	return strings.Join(parts, " ")
}

// RunFilter selects runs: every tag in Tags, and Status when set.
type RunFilter struct {
	Tags   []string
	Status string
}

// Keep returns the runs that pass the filter, in order.
func (f RunFilter) Keep(runs []*client.Run) []*client.Run {
	var out []*client.Run
	for _, r := range runs {
		if f.Status != "" && r.Status != f.Status {
			continue
		}
		if !containsAll(r.Tags, f.Tags) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func containsAll(have, want []string) bool {
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

// runJSON is one element of "runs --json".
type runJSON struct {
	Flow            string            `json:"flow"`
	ID              string            `json:"id"`
	Status          string            `json:"status"`
	Start           time.Time         `json:"start"`
	End             *time.Time        `json:"end,omitempty"`
	DurationSeconds *float64          `json:"duration_seconds,omitempty"`
	Error           string            `json:"error,omitempty"`
	Params          map[string]string `json:"params,omitempty"`
	Origin          string            `json:"origin,omitempty"`
	ResumeStep      string            `json:"resume_step,omitempty"`
	Spin            string            `json:"spin,omitempty"`
	User            string            `json:"user,omitempty"`
	Tags            []string          `json:"tags,omitempty"`
	Runtime         string            `json:"runtime,omitempty"`
	Trigger         map[string]string `json:"trigger,omitempty"`
	Cached          int               `json:"cached,omitempty"`
}

// WriteRuns prints runs as a table (or a JSON array) on w; with no runs, the
// table form says so on werr. root, when set, is named in that message.
func WriteRuns(w, werr io.Writer, runs []*client.Run, flowName, root string, asJSON bool) error {
	if asJSON {
		out := make([]runJSON, 0, len(runs))
		for _, r := range runs {
			j := runJSON{
				Flow: r.Flow, ID: r.ID, Status: r.Status, Start: r.Start, Error: r.Error,
				Params: r.Params, Origin: r.Origin, ResumeStep: r.ResumeStep, Spin: r.Spin, User: r.User,
				Tags: r.Tags, Runtime: r.Runtime, Trigger: r.Trigger, Cached: r.Cached,
			}
			if !r.End.IsZero() {
				end, d := r.End, r.Duration().Seconds()
				j.End, j.DurationSeconds = &end, &d
			}
			out = append(out, j)
		}
		return writeJSON(w, out)
	}
	if len(runs) == 0 {
		where := ""
		if root != "" {
			where = " in datastore " + root
		}
		fmt.Fprintf(werr, "no runs of %s%s\n", flowName, where)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATUS\tSTART\tDURATION\tTAGS\tSTARTED BY")
	for _, r := range runs {
		tags := strings.Join(r.Tags, ",")
		if r.Origin != "" {
			tags = strings.TrimPrefix(tags+",resumed:"+r.Origin, ",")
		}
		if r.Cached > 0 {
			tags = strings.TrimPrefix(tags+",cached:"+strconv.Itoa(r.Cached), ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, FormatTime(r.Start), FormatDuration(r.Duration()), cmp.Or(tags, "-"), cmp.Or(StartedBy(r), "-"))
	}
	return tw.Flush()
}

// StartedBy says what started run r (trigger.Describe of its Trigger), or
// for a local run started without --event, its user; "" when unknown.
func StartedBy(r *client.Run) string {
	if s := trigger.Describe(r.Trigger); s != "" {
		return s
	}
	if r.User != "" {
		return trigger.Describe(trigger.User(r.User))
	}
	return ""
}

// FormatTime renders a time for tables: local time to the second.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// FormatDuration renders a duration for tables: "-" for none, milliseconds
// under a second, hundredths under a minute, else seconds.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // readable output: "<", ">" and "&" as they are
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Task resolves a task pathspec (run "latest" is the newest run) to its
// latest finished attempt, or to attempt when attempt >= 0. Things that do
// not exist are usage errors saying how to find what does.
func (in *Inspector) Task(ctx context.Context, ps pathspec.Pathspec, attempt int) (*client.Task, error) {
	run, err := in.Flow.Run(ctx, ps.Run)
	if err != nil {
		return nil, notFoundUsage(err, fmt.Sprintf("list the runs with '%s'", in.RunsCmd))
	}
	step, err := run.Step(ctx, ps.Step)
	if err != nil {
		return nil, notFoundUsage(err, "check the step name in the pathspec")
	}
	var t *client.Task
	if attempt >= 0 {
		t, err = step.TaskAttempt(ctx, ps.Task, attempt)
		if errors.Is(err, client.ErrNotFound) {
			if latest, lerr := step.Task(ctx, ps.Task); lerr == nil && latest.Status != client.StatusRunning {
				return nil, notFoundUsage(err, fmt.Sprintf("its latest finished attempt is %d", latest.Attempt))
			}
		}
	} else {
		t, err = step.Task(ctx, ps.Task)
	}
	if err != nil {
		return nil, notFoundUsage(err, "check the task id in the pathspec (0 outside a foreach, else the index stack like 3 or 3-1)")
	}
	return t, nil
}
