package inspect

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// stepSummary is one row of show.
type stepSummary struct {
	name                  string
	tasks                 int
	done, failed, running int
	damaged               int // tasks whose record cannot be read
	reused                int // done by reusing a task of the origin run
	start, end            time.Time
	failures              []*client.Task
	damages               []*client.Task
}

// status is the step's status: damaged when a task's record is, so that
// damage never reads as progress or success.
func (s *stepSummary) status() string {
	switch {
	case s.damaged > 0:
		return client.StatusDamaged
	case s.running > 0:
		return client.StatusRunning
	case s.failed > 0:
		return client.StatusFailed
	default:
		return client.StatusSucceeded
	}
}

// showRun prints run r: its record, then one line per step. Tasks whose
// latest attempt failed are listed with their error, those whose record
// is damaged with the damage and how to repair it; damage makes it
// return a FailedError (exit status 1), after printing everything.
func (in *Inspector) showRun(ctx context.Context, r *client.Run) error {
	w := in.Stdout
	steps, err := r.Steps(ctx)
	if err != nil {
		return err
	}
	var sums []*stepSummary
	for _, st := range steps {
		tasks, err := st.Tasks(ctx)
		if err != nil {
			return err
		}
		s := &stepSummary{name: st.Name, tasks: len(tasks)}
		for _, t := range tasks {
			switch t.Status {
			case client.StatusSucceeded:
				s.done++
				if t.Origin != "" {
					s.reused++
				}
			case client.StatusFailed:
				s.failed++
				s.failures = append(s.failures, t)
			case client.StatusDamaged:
				s.damaged++
				s.damages = append(s.damages, t)
			default:
				s.running++
			}
			if !t.Start.IsZero() && (s.start.IsZero() || t.Start.Before(s.start)) {
				s.start = t.Start
			}
			if t.End.After(s.end) {
				s.end = t.End
			}
		}
		sums = append(sums, s)
	}
	// Run order, from the records alone: by first task start, then name;
	// steps with no finished task last.
	sort.SliceStable(sums, func(i, j int) bool {
		a, b := sums[i], sums[j]
		if a.start.IsZero() != b.start.IsZero() {
			return !a.start.IsZero()
		}
		if c := a.start.Compare(b.start); c != 0 {
			return c < 0
		}
		return a.name < b.name
	})

	fmt.Fprintf(w, "Run:       %s\n", r.Pathspec())
	fmt.Fprintf(w, "Status:    %s\n", r.Status)
	fmt.Fprintf(w, "Start:     %s\n", FormatTime(r.Start))
	fmt.Fprintf(w, "Duration:  %s\n", FormatDuration(r.Duration()))
	if len(r.Params) > 0 {
		var ps []string
		for k, v := range r.Params {
			ps = append(ps, k+"="+v)
		}
		slices.Sort(ps)
		fmt.Fprintf(w, "Params:    %s\n", strings.Join(ps, " "))
	}
	if len(r.Tags) > 0 {
		fmt.Fprintf(w, "Tags:      %s\n", strings.Join(r.Tags, " "))
	}
	if by := StartedBy(r); by != "" {
		fmt.Fprintf(w, "Started:   by %s\n", by)
	}
	if r.Origin != "" {
		how := "reusing every task that succeeded there"
		if r.ResumeStep != "" {
			how = fmt.Sprintf("running step %s and every step after it again", r.ResumeStep)
		}
		fmt.Fprintf(w, "Resumed:   from %s, %s (REUSED counts the tasks taken from it)\n", r.Origin, how)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "Error:     %s\n", r.Error)
	}
	fmt.Fprintln(w)
	if len(sums) == 0 {
		fmt.Fprintln(w, "(no task has stored anything yet)")
		return nil
	}
	damaged := slices.ContainsFunc(sums, func(s *stepSummary) bool { return s.damaged > 0 })
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	header := "STEP\tSTATUS\tTASKS\tDONE\tFAILED\tRUNNING\tDURATION"
	if damaged {
		header = "STEP\tSTATUS\tTASKS\tDONE\tFAILED\tRUNNING\tDAMAGED\tDURATION"
	}
	if r.Origin != "" {
		header += "\tREUSED"
	}
	fmt.Fprintln(tw, header)
	for _, s := range sums {
		d := time.Duration(0)
		if !s.start.IsZero() {
			d = s.end.Sub(s.start)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d", s.name, s.status(), s.tasks, s.done, s.failed, s.running)
		if damaged {
			fmt.Fprintf(tw, "\t%d", s.damaged)
		}
		fmt.Fprintf(tw, "\t%s", FormatDuration(d))
		if r.Origin != "" {
			fmt.Fprintf(tw, "\t%d", s.reused)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range sums {
		for _, t := range s.failures {
			fmt.Fprintf(w, "\nfailed: %s (attempt %d): %s", t.Pathspec(), t.Attempt, strings.TrimSpace(t.Error))
		}
	}
	if slices.ContainsFunc(sums, func(s *stepSummary) bool { return len(s.failures) > 0 }) {
		fmt.Fprintln(w)
	}
	if !damaged {
		return nil
	}
	n := 0
	for _, s := range sums {
		for _, t := range s.damages {
			fmt.Fprintf(w, "\ndamaged: %s: %s", t.Pathspec(), strings.TrimSpace(t.Error))
			n++
		}
	}
	fmt.Fprintf(w, "\n\nrepair: %s\n", in.RepairHint(r.ID))
	return &command.FailedError{Err: fmt.Errorf("run %s has %d damaged task record(s)", r.Pathspec(), n)}
}

// showStep prints the tasks of one step of run r; a task whose record is
// damaged is listed as such, with the damage, and makes it return a
// FailedError (exit status 1).
func (in *Inspector) showStep(ctx context.Context, r *client.Run, ps pathspec.Pathspec) error {
	w := in.Stdout
	st, err := r.Step(ctx, ps.Step)
	if err != nil {
		return notFoundUsage(err, "check the step name")
	}
	tasks, err := st.Tasks(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tSTATUS\tATTEMPT\tSTART\tDURATION")
	var damaged []*client.Task
	for _, t := range tasks {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", t.ID, t.Status, t.Attempt, FormatTime(t.Start), FormatDuration(t.Duration()))
		if t.Status == client.StatusDamaged {
			damaged = append(damaged, t)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(damaged) == 0 {
		return nil
	}
	for _, t := range damaged {
		fmt.Fprintf(w, "\ndamaged: %s: %s", t.Pathspec(), strings.TrimSpace(t.Error))
	}
	fmt.Fprintf(w, "\n\nrepair: %s\n", in.RepairHint(r.ID))
	return &command.FailedError{Err: fmt.Errorf("step %s/%s has %d damaged task record(s)", r.Pathspec(), ps.Step, len(damaged))}
}
