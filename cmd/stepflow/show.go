package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/cli"
	"github.com/stepflow/stepflow/internal/pathspec"
)

func cmdShow(root *rootFlag) *cli.Command {
	return &cli.Command{
		Name:      "show",
		UsageLine: "show [--datastore-root DIR] FLOW[/RUN[/STEP]]",
		Short:     "show a run's steps, or a step's tasks",
		Long: `Show prints a run (FLOW alone: its latest run): status, start, duration,
parameters, and per step the number of tasks done, failed and running and the
step's duration, steps in the order they started. Tasks whose latest attempt
failed are listed with their error.

With FLOW/RUN/STEP it lists the step's tasks instead: id, status, attempt,
start and duration. Everything comes from the stored records; no flow code is
needed. RUN may be "latest".`,
		Flags: func(fs *flag.FlagSet) { root.register(fs) },
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("show takes one FLOW/RUN (or FLOW, or FLOW/RUN/STEP), got %d arguments", len(args))
			}
			flow, ps, err := parsePath(args[0], 0, 2, "FLOW/RUN or FLOW/RUN/STEP", "HelloFlow/latest")
			if err != nil {
				return err
			}
			if ps.Run == "" {
				ps.Run = client.Latest
			}
			in, err := root.inspector(ctx, env, flow)
			if err != nil {
				return err
			}
			r, err := in.Flow.Run(ctx, ps.Run)
			if err != nil {
				return usage(err, fmt.Sprintf("list the runs with '%s'", in.RunsCmd))
			}
			if ps.Step != "" {
				return showStep(ctx, env.Stdout, r, ps)
			}
			return showRun(ctx, env.Stdout, r)
		},
	}
}

func usage(err error, fix string) error {
	if errors.Is(err, client.ErrNotFound) {
		return cli.Usagef("%v; %s", err, fix)
	}
	return err
}

// stepSummary is one row of show.
type stepSummary struct {
	name                  string
	tasks                 int
	done, failed, running int
	start, end            time.Time
	failures              []*client.Task
}

func (s *stepSummary) status() string {
	switch {
	case s.running > 0:
		return client.StatusRunning
	case s.failed > 0:
		return client.StatusFailed
	default:
		return client.StatusSucceeded
	}
}

func showRun(ctx context.Context, w io.Writer, r *client.Run) error {
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
			case client.StatusFailed:
				s.failed++
				s.failures = append(s.failures, t)
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
	fmt.Fprintf(w, "Start:     %s\n", cli.FormatTime(r.Start))
	fmt.Fprintf(w, "Duration:  %s\n", cli.FormatDuration(r.Duration()))
	if len(r.Params) > 0 {
		var ps []string
		for k, v := range r.Params {
			ps = append(ps, k+"="+v)
		}
		slices.Sort(ps)
		fmt.Fprintf(w, "Params:    %s\n", strings.Join(ps, " "))
	}
	if r.Origin != "" {
		fmt.Fprintf(w, "Resumed:   from %s at step %s\n", r.Origin, cmp.Or(r.ResumeStep, "?"))
	}
	if r.Error != "" {
		fmt.Fprintf(w, "Error:     %s\n", r.Error)
	}
	fmt.Fprintln(w)
	if len(sums) == 0 {
		fmt.Fprintln(w, "(no task has stored anything yet)")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTATUS\tTASKS\tDONE\tFAILED\tRUNNING\tDURATION")
	for _, s := range sums {
		d := time.Duration(0)
		if !s.start.IsZero() {
			d = s.end.Sub(s.start)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", s.name, s.status(), s.tasks, s.done, s.failed, s.running, cli.FormatDuration(d))
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
	return nil
}

func showStep(ctx context.Context, w io.Writer, r *client.Run, ps pathspec.Pathspec) error {
	st, err := r.Step(ctx, ps.Step)
	if err != nil {
		return usage(err, "check the step name")
	}
	tasks, err := st.Tasks(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tSTATUS\tATTEMPT\tSTART\tDURATION")
	for _, t := range tasks {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", t.ID, t.Status, t.Attempt, cli.FormatTime(t.Start), cli.FormatDuration(t.Duration()))
	}
	return tw.Flush()
}
