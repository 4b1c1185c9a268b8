// Package defaultcard builds the default card of a task: the card every
// task has without a line of code, with its status and timings, the
// run's parameters, its artifacts with their summaries (dropped ones
// marked) and the step's place in the graph.
//
// The viewers build it from what the datastore already holds (the run
// record, with its graph, and the task's attempt records and artifact
// headers) when someone looks at it, rather than each task storing one:
// it costs a task nothing (no write, no encoding, the same on Step
// Functions), every run has one (those recorded before it existed, and
// tasks that crashed before they could have written anything), and it
// shows what the records say now (a run's tags changed later). It is a
// card.Card, rendered by the same renderer as a step's own card.
package defaultcard

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/client"
)

// Build returns the default card of task t, an attempt of a task of run r.
// attempts lists the task's attempts, oldest first (nil: t's alone).
func Build(ctx context.Context, r *client.Run, t *client.Task, attempts []*client.Task) (*card.Card, error) {
	k := &card.Card{}
	head := fmt.Sprintf("## Task %s/%s: %s\n\nRun `%s` of flow `%s`, attempt %d", t.Step, t.ID, t.Status, t.Run, t.Flow, t.Attempt)
	if t.Origin != "" {
		head += fmt.Sprintf(", reused by resume from `%s`", t.Origin)
	}
	head += "."
	if t.Error != "" {
		head += "\n\n**Error:** " + mdText(t.Error)
	}
	k.Markdown(head)

	k.Markdown("### Place in the graph\n\n" + place(r, t))

	k.Markdown("### Timings")
	if len(attempts) == 0 {
		attempts = []*client.Task{t}
	}
	rows := make([][]any, 0, len(attempts))
	for _, a := range attempts {
		rows = append(rows, []any{a.Attempt, a.Status, stamp(a.Start), stamp(a.End), duration(a), a.ExitCode})
	}
	if err := k.Table(rows, "Attempt", "Status", "Start (UTC)", "End (UTC)", "Duration", "Exit"); err != nil {
		return nil, err
	}

	if len(r.Params) > 0 {
		k.Markdown("### Parameters")
		names := make([]string, 0, len(r.Params))
		for n := range r.Params {
			names = append(names, n)
		}
		slices.Sort(names)
		prow := make([][]any, 0, len(names))
		for _, n := range names {
			prow = append(prow, []any{n, r.Params[n]})
		}
		if err := k.Table(prow, "Parameter", "Value"); err != nil {
			return nil, err
		}
	}

	k.Markdown("### Artifacts")
	names := t.Artifacts()
	if len(names) == 0 {
		k.Markdown("None" + map[bool]string{true: " yet: they are stored when the attempt ends.", false: "."}[t.Status == client.StatusRunning])
		return k, nil
	}
	dropped := DroppedBy(ctx, r, t)
	arows := make([][]any, 0, len(names))
	for _, n := range names {
		if by, ok := dropped[n]; ok {
			info, _ := t.Info(n)
			arows = append(arows, []any{n, info.Type, DroppedText(t.Step, by), ""})
			continue
		}
		s, err := t.Summary(ctx, n)
		if err != nil {
			arows = append(arows, []any{n, "", "unreadable: " + err.Error(), ""})
			continue
		}
		arows = append(arows, []any{n, s.Type, s.String(), value(ctx, t, s)})
	}
	if err := k.Table(arows, "Name", "Type", "Summary", "Value"); err != nil {
		return nil, err
	}
	return k, nil
}

// Attempts returns the finished attempts of t's task up to t's, oldest
// first, then t itself; an attempt without a record (killed) is left
// out.
func Attempts(ctx context.Context, run *client.Run, t *client.Task) []*client.Task {
	st, err := run.Step(ctx, t.Step)
	if err != nil {
		return []*client.Task{t}
	}
	var out []*client.Task
	for a := 0; a < t.Attempt; a++ {
		if at, err := st.TaskAttempt(ctx, t.ID, a); err == nil {
			out = append(out, at)
		}
	}
	return append(out, t)
}

// maxValue is the largest encoded artifact whose value the card shows,
// and maxValueRunes the most of it shown.
const (
	maxValue      = 1 << 10
	maxValueRunes = 80
)

// value is a small artifact's value, shortened; "" for a large one or a
// file (the summary describes them).
func value(ctx context.Context, t *client.Task, s client.Summary) string {
	if s.Size > maxValue || s.FileName != "" || s.Encoding == "file" {
		return ""
	}
	a, err := t.Artifact(ctx, s.Name)
	if err != nil {
		return ""
	}
	v := strings.Join(strings.Fields(a.String()), " ")
	var buf bytes.Buffer
	if json.Compact(&buf, a.JSON()) == nil {
		v = buf.String()
	}
	if r := []rune(v); len(r) > maxValueRunes {
		v = string(r[:maxValueRunes]) + "…"
	}
	return v
}

// Dropped returns the fields step drops, as the run's graph records them
// (stepflow.Drop of a join); nil for other steps and for runs recorded
// before Stepflow stored it.
func Dropped(r *client.Run, step string) []string {
	for _, g := range r.Graph {
		if g.Name == step {
			return g.Drop
		}
	}
	return nil
}

// DroppedText is the note the viewers show for an artifact of a task of
// step that the join by dropped.
func DroppedText(step, by string) string {
	if by == step {
		return "dropped by this join (stepflow.Drop): its zero value is not data"
	}
	return "dropped by join " + by + " (stepflow.Drop): its zero value is not data"
}

// maxHops bounds how far DroppedBy follows a task's first input back.
const maxHops = 32

// DroppedBy returns the artifacts of t that hold a value a join dropped
// (stepflow.Drop), each with the join's step: those the task's own step
// drops, and those a join before it dropped that no step since has set
// (the task's artifact is the very value the join stored). It follows
// the task's first input back to the nearest join that drops anything,
// reading one attempt record per step on the way; runs recorded before
// the graph kept Drop have none.
func DroppedBy(ctx context.Context, r *client.Run, t *client.Task) map[string]string {
	out := map[string]string{}
	for _, n := range Dropped(r, t.Step) {
		out[n] = t.Step
	}
	if len(out) > 0 || !slices.ContainsFunc(r.Graph, func(g client.GraphStep) bool { return len(g.Drop) > 0 }) {
		return out
	}
	at := t
	for range maxHops {
		if len(at.Inputs) == 0 {
			return out
		}
		parts := strings.Split(at.Inputs[0], "/")
		if len(parts) != 3 || parts[0] != r.ID {
			return out
		}
		in, err := r.Task(ctx, parts[1], parts[2])
		if err != nil {
			return out
		}
		if drop := Dropped(r, in.Step); len(drop) > 0 {
			for _, n := range drop {
				a, errA := t.Info(n)
				j, errJ := in.Info(n)
				if errA == nil && errJ == nil && a.Hash == j.Hash {
					out[n] = in.Step
				}
			}
			return out
		}
		at = in
	}
	return out
}

// place describes where t's step is in r's graph: the steps before it,
// the step (its kind) and the steps after it, and the task's foreach
// position.
func place(r *client.Run, t *client.Task) string {
	var me *client.GraphStep
	var before []string
	for i, g := range r.Graph {
		if g.Name == t.Step {
			me = &r.Graph[i]
		}
		if slices.Contains(g.Next, t.Step) {
			before = append(before, "`"+g.Name+"`")
		}
	}
	if me == nil {
		return "This run recorded no graph (it predates graph recording)."
	}
	after := make([]string, len(me.Next))
	for i, n := range me.Next {
		after[i] = "`" + n + "`"
	}
	line := cmp.Or(strings.Join(before, ", "), "(start)") + " → **`" + t.Step + "`** → " + cmp.Or(strings.Join(after, ", "), "(end)")
	what := map[string]string{
		"linear":  "a step",
		"split":   "a split: its next steps run in parallel, joined by `" + me.Join + "`",
		"foreach": "a foreach: the next step runs once per item of `" + me.Field + "`, joined by `" + me.Join + "`",
		"switch":  "a switch on `" + me.Field + "`: one of its next steps runs",
		"join":    "a join: it merges its inputs",
		"end":     "the end step",
	}[me.Kind]
	out := line + "\n\n`" + t.Step + "` is " + cmp.Or(what, "a "+me.Kind+" step") + "."
	if len(t.Indices) > 0 {
		idx := make([]string, len(t.Indices))
		for i, x := range t.Indices {
			idx[i] = fmt.Sprint(x)
		}
		out += " This task is item " + strings.Join(idx, " / ") + " of the enclosing foreach" + map[bool]string{true: "es", false: ""}[len(idx) > 1] + "."
	}
	if t.ForeachWidth > 0 {
		out += fmt.Sprintf(" It started %d tasks of the next step.", t.ForeachWidth)
	}
	if t.SwitchTarget != "" {
		out += " It chose `" + t.SwitchTarget + "`."
	}
	if len(t.Inputs) > 0 {
		out += " Its inputs: " + strings.Join(t.Inputs, ", ") + "."
	}
	return out
}

// mdText keeps s from being read as Markdown markup (the renderer shows
// raw HTML as text already).
func mdText(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]", "#", "\\#", "<", "\\<")
	return r.Replace(s)
}

// stamp formats a time for the card, in UTC (a card is the same for every
// reader); "-" when unknown.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// duration is an attempt's duration, or "-" while it runs.
func duration(t *client.Task) string {
	d := t.Duration()
	if d == 0 {
		return "-"
	}
	return d.Round(time.Millisecond).String()
}
