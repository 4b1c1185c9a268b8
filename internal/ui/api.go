package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/stepflow/stepflow/client"
)

func errorsIsNotFound(err error) bool { return errors.Is(err, client.ErrNotFound) }

// writeJSON answers with v as JSON. encoding/json escapes <, > and & in
// strings, so a value is never markup even if served as HTML.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) apiFlows(w http.ResponseWriter, r *http.Request) {
	flows, err := s.c.Flows(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"flows": flows})
}

// runJSON is a run in the API.
type runJSON struct {
	Flow       string            `json:"flow"`
	ID         string            `json:"id"`
	Status     string            `json:"status"`
	Start      time.Time         `json:"start"`
	End        *time.Time        `json:"end,omitempty"`
	Seconds    float64           `json:"duration_seconds,omitempty"`
	Error      string            `json:"error,omitempty"`
	Params     map[string]string `json:"params,omitempty"`
	Tags       []string          `json:"tags,omitempty"`
	Origin     string            `json:"origin,omitempty"`
	ResumeStep string            `json:"resume_step,omitempty"`
	Spin       string            `json:"spin,omitempty"`
	Runtime    string            `json:"runtime,omitempty"`
	Href       string            `json:"href"`
}

func runToJSON(r *client.Run) runJSON {
	j := runJSON{Flow: r.Flow, ID: r.ID, Status: r.Status, Start: r.Start, Error: r.Error, Params: r.Params,
		Tags: r.Tags, Origin: r.Origin, ResumeStep: r.ResumeStep, Spin: r.Spin, Runtime: r.Runtime, Href: runPath(r.Flow, r.ID)}
	if !r.End.IsZero() {
		end := r.End
		j.End, j.Seconds = &end, r.Duration().Seconds()
	}
	return j
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) {
	n, err := names(r, "flow")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rq, err := s.queryRuns(r.Context(), n[0], r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	runs := make([]runJSON, len(rq.Runs))
	for i, run := range rq.Runs {
		runs[i] = runToJSON(run)
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": runs, "page": rq.Page, "pages": rq.Pages, "total": rq.Total})
}

// apiRun answers the run with its steps' states: what the run page polls
// while the run goes on.
func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.run(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := loadRun(r.Context(), run)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{"run": runToJSON(run), "steps": v.Steps, "checked": v.Checked}
	hook, err := run.Hook(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if hook != nil {
		out["hook"] = hook
	}
	if slices.ContainsFunc(v.Steps, func(sv *stepView) bool { return sv.Damaged > 0 }) {
		out["repair"] = repairHint(run.Flow, run.ID)
	}
	writeJSON(w, http.StatusOK, out)
}

// timelineJSON is a run's timeline: for each step, one bar per attempt,
// times in milliseconds after the run's start.
type timelineJSON struct {
	Start time.Time      `json:"start"`
	Now   int64          `json:"now"` // ms after start: where running bars end
	Steps []timelineStep `json:"steps"`
}

type timelineStep struct {
	Name string `json:"name"`
	// Bars are [task index in Tasks, attempt, status (0 ok, 1 failed,
	// 2 running, 3 reused, 4 cached), start ms, end ms].
	Bars  [][5]int64 `json:"bars"`
	Tasks []string   `json:"tasks"`
	Href  string     `json:"href"` // prefix of the tasks' pages
}

func (s *Server) apiTimeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	run, err := s.run(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := loadRun(ctx, run)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ms := func(t time.Time) int64 { return t.Sub(run.Start).Milliseconds() }
	now := time.Now()
	if !run.End.IsZero() {
		now = run.End
	}
	tl := timelineJSON{Start: run.Start, Now: ms(now), Steps: []timelineStep{}}
	for _, sv := range v.Steps {
		ts := timelineStep{Name: sv.Name, Bars: [][5]int64{}, Tasks: []string{},
			Href: path("flows", run.Flow, "runs", run.ID, "steps", sv.Name, "tasks") + "/"}
		var step *client.Step
		earlier := map[string][]*client.Task{}
		for _, at := range sv.earlier {
			earlier[at.ID] = append(earlier[at.ID], at)
		}
		for _, t := range sv.tasks {
			if t.Start.IsZero() {
				continue // no finished attempt: its start is not recorded
			}
			i := int64(len(ts.Tasks))
			ts.Tasks = append(ts.Tasks, t.ID)
			// Earlier attempts of a retried task.
			for _, at := range earlier[t.ID] {
				ts.Bars = append(ts.Bars, [5]int64{i, int64(at.Attempt), statusCode(at), ms(at.Start), ms(at.End)})
			}
			for a := 0; a < t.Attempt && !sv.indexed; a++ {
				if step == nil {
					if step, err = run.Step(ctx, sv.Name); err != nil {
						s.fail(w, r, err)
						return
					}
				}
				at, err := step.TaskAttempt(ctx, t.ID, a)
				if err != nil {
					continue
				}
				ts.Bars = append(ts.Bars, [5]int64{i, int64(a), statusCode(at), ms(at.Start), ms(at.End)})
			}
			ts.Bars = append(ts.Bars, [5]int64{i, int64(t.Attempt), statusCode(t), ms(t.Start), ms(t.End)})
		}
		tl.Steps = append(tl.Steps, ts)
	}
	writeJSON(w, http.StatusOK, tl)
}

func statusCode(t *client.Task) int64 {
	switch {
	case t.Origin != "":
		return 3
	case t.CachedFrom != "":
		return 4
	case t.Status == client.StatusSucceeded:
		return 0
	case t.Status == client.StatusFailed:
		return 1
	}
	return 2
}

// taskJSON is a task attempt in the API.
type taskJSON struct {
	Pathspec string    `json:"pathspec"`
	Attempt  int       `json:"attempt"`
	Status   string    `json:"status"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	ExitCode int       `json:"exit_code"`
	Error    string    `json:"error,omitempty"`
	Inputs   []string  `json:"inputs,omitempty"`
	Origin   string    `json:"origin,omitempty"`
	// CachedFrom is the task a cache hit reused, CacheKey the task's key.
	CachedFrom string         `json:"cached_from,omitempty"`
	CacheKey   string         `json:"cache_key,omitempty"`
	Repair     string         `json:"repair,omitempty"` // how to repair a damaged task
	Artifacts  []artifactJSON `json:"artifacts"`
}

type artifactJSON struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Encoding string `json:"encoding"`
	Size     int64  `json:"size"`
	Href     string `json:"href"`
}

func (s *Server) apiTask(w http.ResponseWriter, r *http.Request) {
	_, t, err := s.task(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	j := taskJSON{Pathspec: t.Pathspec(), Attempt: t.Attempt, Status: t.Status, Start: t.Start, End: t.End,
		ExitCode: t.ExitCode, Error: t.Error, Inputs: t.Inputs, Origin: t.Origin,
		CachedFrom: t.CachedFrom, CacheKey: t.CacheKey, Artifacts: []artifactJSON{}}
	if t.Status == client.StatusDamaged {
		j.Repair = repairHint(t.Flow, t.Run)
	}
	for _, name := range t.Artifacts() {
		// The record says what each artifact is; its value is read by
		// the artifact's own URL.
		a, err := t.Info(name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		j.Artifacts = append(j.Artifacts, artifactJSON{Name: name, Type: a.Type, Encoding: a.Encoding, Size: a.Size,
			Href: path("api", "flows", t.Flow, "runs", t.Run, "steps", t.Step, "tasks", t.ID, "artifacts", name) +
				"?attempt=" + strconv.Itoa(t.Attempt)})
	}
	writeJSON(w, http.StatusOK, j)
}

// apiLog answers a log from ?offset=N on: what the task page polls to
// tail a running task's output, which its supervisor saves in parts every
// few seconds (task.LogPartEvery) until the whole log is saved at its end.
func (s *Server) apiLog(w http.ResponseWriter, r *http.Request) {
	_, t, err := s.task(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	stream := r.PathValue("stream")
	if stream != client.Stdout && stream != client.Stderr {
		s.fail(w, r, fmt.Errorf("%w: log stream %q: use stdout or stderr", client.ErrNotFound, stream))
		return
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	text, size, err := readLog(r.Context(), t, stream, max(offset, 0))
	if errorsIsNotFound(err) {
		// Nothing saved yet: a running attempt without output so far, or
		// one not run by a supervisor (in-process), whose output is saved
		// when it ends.
		writeJSON(w, http.StatusOK, map[string]any{"text": "", "size": 0, "status": t.Status, "stored": false})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"text": text, "size": size, "status": t.Status, "stored": true})
}

// apiArtifact answers an artifact's value: its JSON, or for raw bytes the
// base64 string encoding/json gives a []byte.
func (s *Server) apiArtifact(w http.ResponseWriter, r *http.Request) {
	_, a, err := s.artifact(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": a.Name, "type": a.Type, "encoding": a.Encoding,
		"size": a.Size, "value": a.JSON()})
}
