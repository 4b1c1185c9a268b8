package ui

import (
	"bytes"
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/graphsvg"
)

// stepView is one step of a run, summarised from its tasks.
type stepView struct {
	Name    string    `json:"name"`
	Kind    string    `json:"kind,omitempty"` // from the recorded graph
	Status  string    `json:"status"`         // succeeded, failed, running, damaged, pending or skipped
	Total   int       `json:"total"`          // tasks expected, once known; else tasks seen
	Done    int       `json:"done"`
	Failed  int       `json:"failed"`
	Running int       `json:"running"`
	Damaged int       `json:"damaged"`         // tasks whose record cannot be read
	Reused  int       `json:"reused"`          // cloned from the origin run by resume
	Cached  int       `json:"cached"`          // found in the step cache (no process ran)
	Width   int       `json:"width"`           // a foreach's tasks started, summed over its tasks
	Start   time.Time `json:"start"`           // first task start
	End     time.Time `json:"end"`             // last task end
	Origin  string    `json:"origin"`          // the run reused tasks come from
	Text    string    `json:"text"`            // the graph node's second line
	Href    string    `json:"href"`            // the step's page
	Error   string    `json:"error,omitempty"` // the first failure's error

	tasks   []*client.Task
	earlier []*client.Task // earlier attempts of retried tasks, when the run is indexed
	indexed bool           // tasks come from the run's attempt index
}

// runView is a run with its steps, as the run page and its API show it.
type runView struct {
	Run   *client.Run
	Steps []*stepView // graph order when the run recorded its graph, else by start
	// Checked says that every finished task's record was read, so that
	// damaged ones count as damaged; false for a run drawn from its
	// attempt index alone (more than checkRecordsUpTo tasks).
	Checked bool
	shape   graph.Shape
}

// loadRun reads every step and task of a run (latest attempts): from the
// run's attempt index, one listing, when the run has one; else by listing
// the run's objects and reading each task's record.
func loadRun(ctx context.Context, r *client.Run) (*runView, error) {
	v := &runView{Run: r, shape: shapeOf(r)}
	byName := map[string]*stepView{}
	for _, st := range r.Graph {
		sv := &stepView{Name: st.Name, Kind: st.Kind}
		byName[st.Name] = sv
		v.Steps = append(v.Steps, sv)
	}
	stepOf := func(name string) *stepView {
		sv := byName[name]
		if sv == nil {
			sv = &stepView{Name: name}
			byName[name] = sv
			v.Steps = append(v.Steps, sv)
		}
		return sv
	}
	p, indexed, err := r.Progress(ctx)
	if err != nil {
		return nil, err
	}
	if indexed {
		names := slices.Sorted(maps.Keys(p.Steps))
		for _, name := range names {
			sv := stepOf(name)
			sv.tasks, sv.earlier, sv.indexed = p.Steps[name], p.Earlier[name], true
		}
		if v.Checked, err = checkRecords(ctx, p); err != nil {
			return nil, err
		}
	} else {
		v.Checked = true
		steps, err := r.Steps(ctx)
		if err != nil {
			return nil, err
		}
		for _, st := range steps {
			tasks, err := st.Tasks(ctx)
			if err != nil {
				return nil, err
			}
			stepOf(st.Name).tasks = tasks
		}
	}
	// Expected task counts: one outside any foreach; inside one, the sum
	// of its innermost foreach's widths.
	enclosing := foreachOf(v.shape)
	for _, sv := range v.Steps {
		for i, t := range sv.tasks {
			sv.tasks[i] = lostRecord(r, t)
		}
		sv.summarise()
		if sv.indexed && sv.Failed > 0 {
			// The index holds no errors: read the first failure's record.
			if sv.Error, err = firstError(ctx, sv.tasks); err != nil {
				return nil, err
			}
		}
	}
	for _, sv := range v.Steps {
		sv.Href = path("flows", r.Flow, "runs", r.ID, "steps", sv.Name)
		switch f := enclosing[sv.Name]; {
		case f != "" && byName[f] != nil && byName[f].Done > 0:
			sv.Total = max(len(sv.tasks), byName[f].Width)
		case len(v.shape.Steps) > 0:
			sv.Total = max(len(sv.tasks), 1)
		default:
			sv.Total = len(sv.tasks)
		}
		if sv.Status == "" {
			sv.Status = "pending"
			if r.Status != client.StatusRunning {
				sv.Status = "skipped" // not reached: a switch case not taken, or the run ended first
			}
		}
		if sv.Status == client.StatusSucceeded && sv.Done < sv.Total {
			sv.Status = client.StatusRunning
			if r.Status != client.StatusRunning {
				sv.Status = client.StatusFailed
			}
		}
		sv.Text = strconv.Itoa(sv.Done) + "/" + strconv.Itoa(sv.Total) + " done"
		if sv.Failed > 0 {
			sv.Text += " · " + strconv.Itoa(sv.Failed) + " failed"
		}
		if sv.Damaged > 0 {
			sv.Text += " · " + strconv.Itoa(sv.Damaged) + " damaged"
		}
		if sv.Reused > 0 && sv.Reused == sv.Done {
			sv.Text = strconv.Itoa(sv.Done) + "/" + strconv.Itoa(sv.Total) + " reused"
		}
		switch {
		case sv.Cached > 0 && sv.Cached == sv.Done:
			sv.Text = strconv.Itoa(sv.Done) + "/" + strconv.Itoa(sv.Total) + " cached"
		case sv.Cached > 0:
			sv.Text += " · " + strconv.Itoa(sv.Cached) + " cached"
		}
	}
	if len(r.Graph) == 0 {
		slices.SortStableFunc(v.Steps, func(a, b *stepView) int {
			if a.Start.IsZero() != b.Start.IsZero() {
				if a.Start.IsZero() {
					return 1
				}
				return -1
			}
			return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Name, b.Name))
		})
	}
	return v, nil
}

// firstError reads the error of the first failed task.
func firstError(ctx context.Context, tasks []*client.Task) (string, error) {
	for _, t := range tasks {
		if t.Status == client.StatusFailed {
			full, err := fullTask(ctx, t)
			if err != nil {
				return "", err
			}
			return full.Error, nil
		}
	}
	return "", nil
}

// fullTask reads the record of a task that came from a run's attempt
// index, which holds no errors, artifacts or inputs.
func fullTask(ctx context.Context, t *client.Task) (*client.Task, error) {
	if t.Status == client.StatusRunning || t.Error != "" {
		return t, nil
	}
	return t.Load(ctx)
}

// summarise counts a step's tasks by status.
func (sv *stepView) summarise() {
	for _, t := range sv.tasks {
		switch t.Status {
		case client.StatusSucceeded:
			sv.Done++
		case client.StatusFailed:
			sv.Failed++
			if sv.Error == "" {
				sv.Error = t.Error
			}
		case client.StatusDamaged:
			sv.Damaged++
			if sv.Error == "" {
				sv.Error = t.Error
			}
		default:
			sv.Running++
		}
		if t.CachedFrom != "" {
			sv.Cached++
		}
		if t.Origin != "" {
			sv.Reused++
			if sv.Origin == "" {
				sv.Origin = t.Origin
			}
		}
		sv.Width += t.ForeachWidth
		if !t.Start.IsZero() && (sv.Start.IsZero() || t.Start.Before(sv.Start)) {
			sv.Start = t.Start
		}
		if t.End.After(sv.End) {
			sv.End = t.End
		}
	}
	switch {
	case len(sv.tasks) == 0:
	case sv.Damaged > 0:
		sv.Status = client.StatusDamaged
	case sv.Running > 0:
		sv.Status = client.StatusRunning
	case sv.Failed > 0:
		sv.Status = client.StatusFailed
	default:
		sv.Status = client.StatusSucceeded
	}
}

// Duration is the time from the step's first start to its last end.
func (sv *stepView) Duration() time.Duration {
	if sv.Start.IsZero() || sv.End.Before(sv.Start) {
		return 0
	}
	return sv.End.Sub(sv.Start)
}

// shapeOf converts a run's recorded graph to the drawing's shape.
func shapeOf(r *client.Run) graph.Shape {
	s := graph.Shape{Flow: r.Flow}
	for _, st := range r.Graph {
		s.Steps = append(s.Steps, graph.ShapeStep{Name: st.Name, Kind: st.Kind, Next: st.Next,
			Labels: st.Labels, Join: st.Join, Field: st.Field})
	}
	return s
}

// foreachOf returns the innermost foreach each step runs inside, from the
// shape ("" outside any).
func foreachOf(s graph.Shape) map[string]string {
	out := map[string]string{}
	steps := map[string]graph.ShapeStep{}
	for _, st := range s.Steps {
		steps[st.Name] = st
	}
	var walk func(from, stop, in string)
	walk = func(from, stop, in string) {
		for cur := from; cur != "" && cur != stop; {
			st, ok := steps[cur]
			if _, seen := out[cur]; !ok || seen {
				return
			}
			out[cur] = in
			switch st.Kind {
			case "split", "foreach":
				inner := in
				if st.Kind == "foreach" {
					inner = st.Name
				}
				for _, o := range st.Next {
					walk(o, st.Join, inner)
				}
				cur = st.Join
			case "end":
				cur = ""
			default:
				// A switch's cases continue in the same foreach.
				for _, o := range st.Next[min(1, len(st.Next)):] {
					walk(o, stop, in)
				}
				cur = ""
				if len(st.Next) > 0 {
					cur = st.Next[0]
				}
			}
		}
	}
	if len(s.Steps) > 0 {
		walk(s.Steps[0].Name, "", "")
	}
	return out
}

// svg draws the run's graph with each step's state; nil when the run
// recorded no graph.
func (v *runView) svg() []byte {
	if len(v.shape.Steps) == 0 {
		return nil
	}
	opts := graphsvg.Options{Marks: map[string]graphsvg.StepMark{}, Widths: map[string]string{}, NoStyle: true,
		Link: func(step string) string { return path("flows", v.Run.Flow, "runs", v.Run.ID, "steps", step) }}
	for _, sv := range v.Steps {
		class := sv.Status
		if sv.Reused > 0 && sv.Reused == sv.Done && sv.Status == client.StatusSucceeded {
			class = "reused"
		}
		if sv.Cached > 0 && sv.Cached == sv.Done && sv.Status == client.StatusSucceeded {
			class = "cached"
		}
		opts.Marks[sv.Name] = graphsvg.StepMark{Class: class, Text: sv.Text}
		if sv.Kind == "foreach" && sv.Width > 0 {
			opts.Widths[sv.Name] = "×" + strconv.Itoa(sv.Width)
		}
	}
	var b bytes.Buffer
	graphsvg.Write(&b, v.shape, opts) // writes to memory: no error
	return b.Bytes()
}
