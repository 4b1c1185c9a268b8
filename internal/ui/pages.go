package ui

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/defaultcard"
	"github.com/stepflow/stepflow/internal/inspect"
)

// Limits of what one page shows.
const (
	runsPerPage  = 50
	tasksPerPage = 200
	previewBytes = 64 << 10 // of an artifact
	logBytes     = 1 << 20  // of a log, its tail
)

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"dur": func(d time.Duration) string {
		switch {
		case d <= 0:
			return "-"
		case d < time.Second:
			return d.Round(time.Millisecond).String()
		case d < time.Minute:
			return d.Round(10 * time.Millisecond).String()
		}
		return d.Round(time.Second).String()
	},
	"bytes": func(n int64) string {
		switch {
		case n < 1<<10:
			return fmt.Sprintf("%d B", n)
		case n < 1<<20:
			return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
		}
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	},
	"path":     path,
	"runPath":  runPath,
	"taskPath": taskPath,
	"pathspec": taskPathspec,
	"join":     strings.Join,
	// svg marks a drawing made by package graph, which escapes every
	// value it writes, as safe HTML.
	"svg": func(b []byte) template.HTML { return template.HTML(b) },
}

func (s *Server) flowsPage(w http.ResponseWriter, r *http.Request) {
	flows, err := s.c.Flows(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "flows", map[string]any{"Title": "Flows", "Flows": flows, "Root": s.c.Root()})
}

// runsQuery is a filtered page of a flow's runs.
type runsQuery struct {
	Status, Tag string
	Page, Pages int
	Total       int
	Runs        []*client.Run
}

func (s *Server) queryRuns(ctx context.Context, flow string, q url.Values) (*runsQuery, error) {
	runs, err := s.c.Flow(flow).Runs(ctx)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		if ok, err := s.c.Flow(flow).Exists(ctx); err == nil && !ok {
			return nil, fmt.Errorf("flow %q has no runs in %s: %w", flow, s.c.Root(), client.ErrNotFound)
		}
	}
	rq := &runsQuery{Status: q.Get("status"), Tag: q.Get("tag")}
	runs = slices.DeleteFunc(runs, func(r *client.Run) bool {
		return rq.Status != "" && r.Status != rq.Status || rq.Tag != "" && !slices.Contains(r.Tags, rq.Tag)
	})
	rq.Total = len(runs)
	rq.Pages = max(1, (len(runs)+runsPerPage-1)/runsPerPage)
	rq.Page, _ = strconv.Atoi(q.Get("page"))
	rq.Page = min(max(rq.Page, 1), rq.Pages)
	lo := (rq.Page - 1) * runsPerPage
	rq.Runs = runs[lo:min(lo+runsPerPage, len(runs))]
	return rq, nil
}

func (s *Server) runsPage(w http.ResponseWriter, r *http.Request) {
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
	pageURL := func(p int) string {
		v := url.Values{}
		if rq.Status != "" {
			v.Set("status", rq.Status)
		}
		if rq.Tag != "" {
			v.Set("tag", rq.Tag)
		}
		v.Set("page", strconv.Itoa(p))
		return path("flows", n[0]) + "?" + v.Encode()
	}
	data := map[string]any{"Title": n[0], "Flow": n[0], "Q": rq}
	if rq.Page > 1 {
		data["Prev"] = pageURL(rq.Page - 1)
	}
	if rq.Page < rq.Pages {
		data["Next"] = pageURL(rq.Page + 1)
	}
	s.render(w, r, http.StatusOK, "runs", data)
}

// run reads the run named by the request's flow and run.
func (s *Server) run(r *http.Request) (*client.Run, error) {
	n, err := names(r, "flow", "run")
	if err != nil {
		return nil, err
	}
	return s.c.Flow(n[0]).Run(r.Context(), n[1])
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) {
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
	var failures, damaged []*client.Task
	for _, sv := range v.Steps {
		for _, t := range sv.tasks {
			if t.Status == client.StatusDamaged && len(damaged) < 20 {
				damaged = append(damaged, t)
			}
			if t.Status == client.StatusFailed && len(failures) < 20 {
				if sv.indexed {
					if t, err = fullTask(r.Context(), t); err != nil {
						s.fail(w, r, err)
						return
					}
				}
				failures = append(failures, t)
			}
		}
	}
	hook, err := run.Hook(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "run", map[string]any{
		"Title": run.Pathspec(), "Run": run, "Hook": hook, "Steps": v.Steps, "Graph": v.svg(), "Failures": failures,
		"Damaged": damaged, "Repair": repairHint(run.Flow, run.ID), "Checked": v.Checked, "Verify": verifyCmd(run.Flow, run.ID, false),
		"Params": sortedParams(run.Params),
		"API":    path("api", "flows", run.Flow, "runs", run.ID),
	})
}

func sortedParams(m map[string]string) []string {
	var ps []string
	for k, v := range m {
		ps = append(ps, k+"="+v)
	}
	slices.Sort(ps)
	return ps
}

func (s *Server) stepPage(w http.ResponseWriter, r *http.Request) {
	run, err := s.run(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := names(r, "step")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := run.Step(r.Context(), n[0])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	tasks, total, page, pages, err := stepTasks(r.Context(), run, st, r.URL.Query().Get("status"), page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"Title": st.Pathspec(), "Run": run, "Step": st.Name, "Total": total,
		"Tasks": tasks, "Page": page, "Pages": pages}
	base := path("flows", run.Flow, "runs", run.ID, "steps", st.Name) + "?status=" + url.QueryEscape(r.URL.Query().Get("status")) + "&page="
	if page > 1 {
		data["Prev"] = base + strconv.Itoa(page-1)
	}
	if page < pages {
		data["Next"] = base + strconv.Itoa(page+1)
	}
	s.render(w, r, http.StatusOK, "step", data)
}

// task reads the task the request names, as of ?attempt=N (default: the
// latest finished attempt).
func (s *Server) task(r *http.Request) (*client.Run, *client.Task, error) {
	run, err := s.run(r)
	if err != nil {
		return nil, nil, err
	}
	n, err := names(r, "step", "task")
	if err != nil {
		return nil, nil, err
	}
	st, err := run.Step(r.Context(), n[0])
	if err != nil {
		return nil, nil, err
	}
	if a := r.URL.Query().Get("attempt"); a != "" {
		num, err := strconv.Atoi(a)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: attempt %q is not a number", errBadName, a)
		}
		t, err := st.TaskAttempt(r.Context(), n[1], num)
		if errorsIsNotFound(err) {
			// The attempt has no record yet: it is the task's running first
			// attempt (whose page and log API the task page links to), or
			// missing.
			if lt, lerr := st.Task(r.Context(), n[1]); lerr == nil && lt.Status == client.StatusRunning && lt.Attempt == num {
				return run, lt, nil
			}
		}
		return run, t, err
	}
	t, err := st.Task(r.Context(), n[1])
	return run, t, err
}

// attemptView is one attempt of a task, on its page.
type attemptView struct {
	*client.Task
	Href     string
	Selected bool
}

// artifactView is one artifact in a task's table.
type artifactView struct {
	Name, Type, Encoding, Preview string
	Size                          int64
	Href                          string
	Damaged                       bool // its blob is damaged or missing: Preview says how
	// Dropped says which join dropped it (stepflow.Drop), when it did: its
	// value is a zero left on purpose, shown as such rather than as data.
	Dropped string
}

// logView is one log stream of an attempt.
type logView struct {
	Stream, Text, Raw, API string
	Truncated, Missing     bool
	Size                   int
}

func (s *Server) taskPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	run, t, err := s.task(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tp := taskPath(t.Flow, t.Run, t.Step, t.ID)
	var attempts []attemptView
	if t.Status != client.StatusRunning || t.Attempt > 0 {
		st, err := run.Step(ctx, t.Step)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		latest, err := st.Task(ctx, t.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for a := 0; a <= latest.Attempt; a++ {
			at, err := st.TaskAttempt(ctx, t.ID, a)
			if err != nil {
				continue // an attempt that never finished (killed)
			}
			attempts = append(attempts, attemptView{Task: at, Href: tp + "?attempt=" + strconv.Itoa(a), Selected: a == t.Attempt})
		}
	}
	q := "?attempt=" + strconv.Itoa(t.Attempt)
	var arts []artifactView
	dropped := defaultcard.DroppedBy(ctx, run, t)
	for _, name := range t.Artifacts() {
		av, err := artifactRow(ctx, t, name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if by, ok := dropped[name]; ok {
			av.Dropped = defaultcard.DroppedText(t.Step, by)
		}
		av.Href = tp + "/artifacts/" + url.PathEscape(name) + q
		arts = append(arts, av)
	}
	var logs []logView
	for _, stream := range []string{client.Stdout, client.Stderr} {
		lv := logView{Stream: stream, Raw: tp + "/logs/" + stream + q,
			API: path("api", "flows", t.Flow, "runs", t.Run, "steps", t.Step, "tasks", t.ID, "logs", stream) + q}
		text, size, err := readLog(ctx, t, stream, 0)
		switch {
		case err == nil:
			lv.Text, lv.Size, lv.Truncated = text, size, size > logBytes
		case errorsIsNotFound(err):
			lv.Missing = true
		default:
			s.fail(w, r, err)
			return
		}
		logs = append(logs, lv)
	}
	data := map[string]any{
		"Title": t.Pathspec(), "Run": run, "Task": t, "Attempts": attempts, "Artifacts": arts, "Logs": logs,
		"Running": t.Status == client.StatusRunning,
	}
	if t.Status == client.StatusDamaged || slices.ContainsFunc(arts, func(a artifactView) bool { return a.Damaged }) {
		data["Repair"] = repairHint(t.Flow, t.Run)
	}
	if t.HasCard() {
		data["Card"] = tp + "/card" + q
	}
	if t.Status == client.StatusRunning {
		// The card the step last refreshed, which the page follows.
		version, err := t.CardVersion(ctx)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if version != "" {
			data["Card"] = tp + "/card" + q + "&v=" + version
		}
		data["CardBase"], data["CardVersion"] = tp+"/card"+q, version
		data["CardVersionAPI"] = path("api", "flows", t.Flow, "runs", t.Run, "steps", t.Step, "tasks", t.ID, "card", "version") + q
	}
	data["DefaultCard"] = tp + "/card" + q + "&default=1"
	s.render(w, r, http.StatusOK, "task", data)
}

// preview renders an artifact for people, cut at limit bytes; truncated
// says whether it was cut.
func preview(a *client.Artifact, limit int) (string, bool) {
	var head string
	if a.Encoding == "json" {
		var v any
		if json.Unmarshal(a.Bytes(), &v) == nil {
			switch v := v.(type) {
			case []any:
				head = fmt.Sprintf("array of %d elements\n", len(v))
			case map[string]any:
				head = fmt.Sprintf("object with %d keys\n", len(v))
			}
		}
	}
	s := a.String()
	if len(s) <= limit {
		if limit < previewBytes {
			return s, false // a one-line table preview needs no header
		}
		return head + s, false
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if limit < previewBytes {
		return s[:cut] + "…", true
	}
	return head + s[:cut] + "\n…", true
}

// artifact resolves the task and the artifact a request's path names.
func (s *Server) artifact(r *http.Request) (*client.Task, *client.Artifact, error) {
	_, t, err := s.task(r)
	if err != nil {
		return nil, nil, err
	}
	n, err := names(r, "name")
	if err != nil {
		return nil, nil, err
	}
	a, err := t.Artifact(r.Context(), n[0])
	return t, a, err
}

// artifactPage shows an artifact: its facts, a preview and a Download
// in a format other tools read (inspect.Export: .npy, JSON, a File as
// itself). A File is streamed, never read whole: its preview is its first
// 64 KiB, as text when it is text (CSV, JSON, logs), else as the hex of
// its first bytes.
func (s *Server) artifactPage(w http.ResponseWriter, r *http.Request) {
	_, t, err := s.task(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := names(r, "name")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	info, err := t.Info(n[0])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var (
		e         *inspect.Export
		text      string
		truncated bool
		shown     any = info
	)
	if info.Encoding == artifact.File {
		if e, err = inspect.OpenExport(r.Context(), t, info.Name); err != nil {
			s.fail(w, r, err)
			return
		}
		defer e.Close()
		text, truncated = filePreview(e, previewBytes)
	} else {
		a, err := t.Artifact(r.Context(), info.Name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if e, err = inspect.ArtifactExport(a); err != nil {
			s.fail(w, r, err)
			return
		}
		text, truncated = preview(a, previewBytes)
		shown = a
	}
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Type", e.ContentType)
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.Name}))
		w.Header().Set("Content-Length", strconv.FormatInt(e.Size, 10))
		if r.Method != http.MethodHead {
			e.WriteTo(w)
		}
		return
	}
	q := "?attempt=" + strconv.Itoa(t.Attempt)
	s.render(w, r, http.StatusOK, "artifact", map[string]any{
		"Title": t.Pathspec() + " " + info.Name, "Task": t, "A": shown, "Preview": text, "Truncated": truncated,
		"Export": e, "FileName": info.FileName,
		"Download": taskPath(t.Flow, t.Run, t.Step, t.ID) + "/artifacts/" + url.PathEscape(info.Name) + q + "&download=1",
		"TaskHref": taskPath(t.Flow, t.Run, t.Step, t.ID) + q,
	})
}

// filePreview is the preview of a File: its first limit bytes as text
// when it is text, cut at a rune's start, else the hex of its first 32
// bytes.
func filePreview(e *inspect.Export, limit int) (string, bool) {
	head, more := e.Head(limit)
	if !e.Text {
		const hexBytes = 32
		s := fmt.Sprintf("<%d bytes> %s", e.Size, hex.EncodeToString(head[:min(len(head), hexBytes)]))
		if e.Size > hexBytes {
			s += "…"
		}
		return s, false
	}
	cut := len(head)
	if more {
		// A rune cut by the end of the head is left out.
		i := cut - 1
		for i > 0 && cut-i < utf8.UTFMax && !utf8.RuneStart(head[i]) {
			i--
		}
		if i >= 0 && !utf8.FullRune(head[i:]) {
			cut = i
		}
	}
	return string(head[:cut]), more
}

// safeFilename keeps letters, digits, '-', '_' and '.' of a name.
func safeFilename(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, name)
}

// logRaw serves a whole log as plain text.
func (s *Server) logRaw(w http.ResponseWriter, r *http.Request) {
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
	rc, err := t.Log(r.Context(), t.Attempt, stream)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method != http.MethodHead {
		io.Copy(w, rc)
	}
}
