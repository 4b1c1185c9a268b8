package inspect

import (
	"context"
	"fmt"
	"maps"
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
	cached                int // done by reusing a task found in the step cache
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
	byName := map[string]*stepSummary{}
	have := map[string]bool{}   // step/task with a stored object
	needed := map[string]bool{} // step/task a successful task read
	for _, st := range steps {
		tasks, err := st.Tasks(ctx)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			have[t.Step+"/"+t.ID] = true
			if t.Status == client.StatusSucceeded {
				for _, in := range t.Inputs {
					if rest, ok := strings.CutPrefix(in, r.ID+"/"); ok {
						needed[rest] = true
					}
				}
			}
		}
		s := &stepSummary{name: st.Name, tasks: len(tasks)}
		byName[st.Name] = s
		for _, t := range tasks {
			t = lostRecord(r, t)
			switch t.Status {
			case client.StatusSucceeded:
				s.done++
				if t.Origin != "" {
					s.reused++
				}
				if t.CachedFrom != "" {
					s.cached++
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
	// A task a successful task read has a record, or lost it.
	for _, in := range slices.Sorted(maps.Keys(needed)) {
		if have[in] {
			continue
		}
		step, id, _ := strings.Cut(in, "/")
		s := byName[step]
		if s == nil {
			s = &stepSummary{name: step}
			byName[step] = s
			sums = append(sums, s)
		}
		s.tasks++
		s.damaged++
		s.damages = append(s.damages, &client.Task{Flow: r.Flow, Run: r.ID, Step: step, ID: id, Status: client.StatusDamaged,
			Error: "task has no stored record, but a task that succeeded read it (lost)"})
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
	cached := 0
	for _, s := range sums {
		cached += s.cached
	}
	if cached > 0 {
		fmt.Fprintf(w, "Cached:    %d task(s) found in the step cache, run by earlier runs (CACHED counts them)\n", cached)
	}
	if h, err := r.Hook(ctx); err != nil {
		fmt.Fprintf(w, "Hook:      unreadable: %v\n", err)
	} else if h != nil {
		line := h.Status
		if h.Error != "" {
			line += ": " + h.Error
		}
		fmt.Fprintf(w, "Hook:      exit hook %s (told the run %s)\n", line, h.RunStatus)
	}
	if r.Spin != "" {
		fmt.Fprintf(w, "Spin:      step re-run against the inputs of %s, with the code of its spin; no other step ran\n", r.Spin)
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
	if cached > 0 {
		header += "\tCACHED"
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
		if cached > 0 {
			fmt.Fprintf(tw, "\t%d", s.cached)
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
		t = lostRecord(r, t)
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

// lostRecord returns t, or when t has no finished attempt in a run that
// succeeded, t as damaged: a run succeeds only once every task it started
// has finished, so such a task lost its record (verify says the same).
func lostRecord(r *client.Run, t *client.Task) *client.Task {
	if r.Status != client.StatusSucceeded || t.Status != client.StatusRunning {
		return t
	}
	d := *t
	d.Status = client.StatusDamaged
	d.Error = fmt.Sprintf("the run succeeded, but this task has no attempt record (lost): attempt folder %s/runs/%s/%s/%s/%d/", r.Flow, r.ID, t.Step, t.ID, t.Attempt)
	return &d
}
