// Package ui is the web view of a datastore that `stepflow ui` serves:
// flows, runs, a run's live graph and timeline, tasks with their logs and
// artifacts. It reads through package client only, so it shows local and
// S3 datastores (and so cloud runs) alike, and it never writes: it answers
// GET and HEAD only. Its pages, script and styles are built into the binary.
package ui

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net/http"
	"net/url"
	"strings"

	"github.com/stepflow/stepflow/client"
)

//go:embed assets templates
var files embed.FS

// Server serves the UI of one datastore.
type Server struct {
	c     *client.Client
	pages map[string]*template.Template
	mux   *http.ServeMux
	log   *log.Logger
	hosts hostPolicy
}

// An Option changes what New serves.
type Option func(*Server)

// AllowHosts makes the server answer requests for the given host names
// too, besides localhost and IP addresses (see hostPolicy): the names of
// the machine it is reached by when it listens beyond the loopback
// interface.
func AllowHosts(names ...string) Option {
	return func(s *Server) { s.hosts = newHostPolicy(append(mapKeys(s.hosts.names), names...)) }
}

// mapKeys returns the keys of m, in no order.
func mapKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// New returns the UI of the datastore c reads. Errors of requests are
// logged on logger (nil: not logged). It answers only requests whose Host
// is localhost, an IP address or a name opts allow.
func New(c *client.Client, logger *log.Logger, opts ...Option) (*Server, error) {
	s := &Server{c: c, pages: map[string]*template.Template{}, mux: http.NewServeMux(), log: logger, hosts: newHostPolicy(nil)}
	for _, o := range opts {
		o(s)
	}
	base, err := template.New("base.html").Funcs(funcs).ParseFS(files, "templates/base.html")
	if err != nil {
		return nil, fmt.Errorf("ui templates: %w", err)
	}
	for _, p := range []string{"flows", "runs", "run", "step", "task", "artifact", "error"} {
		t, err := template.Must(base.Clone()).ParseFS(files, "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("ui template %s: %w", p, err)
		}
		s.pages[p] = t
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	static, _ := fs.Sub(files, "assets")
	// Patterns with GET also match HEAD; ServeHTTP refuses other methods.
	s.mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.flowsPage)
	s.mux.HandleFunc("GET /flows/{flow}", s.runsPage)
	s.mux.HandleFunc("GET /flows/{flow}/runs/{run}", s.runPage)
	s.mux.HandleFunc("GET /flows/{flow}/runs/{run}/steps/{step}", s.stepPage)
	s.mux.HandleFunc("GET /flows/{flow}/runs/{run}/steps/{step}/tasks/{task}", s.taskPage)
	s.mux.HandleFunc("GET /flows/{flow}/runs/{run}/steps/{step}/tasks/{task}/artifacts/{name}", s.artifactPage)
	s.mux.HandleFunc("GET /flows/{flow}/runs/{run}/steps/{step}/tasks/{task}/logs/{stream}", s.logRaw)
	s.mux.HandleFunc("GET /flows/{flow}/runs/{run}/steps/{step}/tasks/{task}/card", s.cardPage)

	s.mux.HandleFunc("GET /api/flows", s.apiFlows)
	s.mux.HandleFunc("GET /api/flows/{flow}/runs", s.apiRuns)
	s.mux.HandleFunc("GET /api/flows/{flow}/runs/{run}", s.apiRun)
	s.mux.HandleFunc("GET /api/flows/{flow}/runs/{run}/timeline", s.apiTimeline)
	s.mux.HandleFunc("GET /api/flows/{flow}/runs/{run}/steps/{step}/tasks/{task}", s.apiTask)
	s.mux.HandleFunc("GET /api/flows/{flow}/runs/{run}/steps/{step}/tasks/{task}/logs/{stream}", s.apiLog)
	s.mux.HandleFunc("GET /api/flows/{flow}/runs/{run}/steps/{step}/tasks/{task}/artifacts/{name}", s.apiArtifact)
	s.mux.HandleFunc("GET /api/flows/{flow}/runs/{run}/steps/{step}/tasks/{task}/card", s.apiCard)
	s.mux.HandleFunc("GET /api/flows/{flow}/runs/{run}/steps/{step}/tasks/{task}/card/version", s.apiCardVersion)
}

// csp is the Content-Security-Policy of every page: scripts and styles
// from the server's own assets only, nothing inline, no other origin;
// frames (a task's card) from the server only.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// ServeHTTP serves a request: GET and HEAD only, for an allowed Host only
// (421 otherwise, against DNS rebinding), with security headers on every
// answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if !s.hosts.allows(r.Host) {
		refuseHost(w, r.Host)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "the Stepflow UI is read-only: only GET and HEAD are allowed", http.StatusMethodNotAllowed)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// errBadName is a path element that could leave the datastore's layout.
var errBadName = errors.New("bad name")

// names returns the named path values of r, each checked to be one plain
// path element: no separator, no NUL, no leading dot (so no "..").
func names(r *http.Request, keys ...string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		v := r.PathValue(k)
		if v == "" || strings.ContainsAny(v, "/\\\x00") || strings.HasPrefix(v, ".") {
			return nil, fmt.Errorf("%w: %s %q is not a valid name", errBadName, k, v)
		}
		out[i] = v
	}
	return out, nil
}

// fail answers a request that could not be served: a bad name is 400,
// not found 404, a damaged record or blob 422 (with the verify --repair
// line), anything else 500, as a page or as JSON for the API.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, errBadName):
		code = http.StatusBadRequest
	case errors.Is(err, client.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, client.ErrCorrupt):
		// Damage in the datastore, not a fault of the server: say what
		// is damaged and how to repair it.
		code = http.StatusUnprocessableEntity
		if f, run := r.PathValue("flow"), r.PathValue("run"); f != "" && run != "" {
			err = fmt.Errorf("damaged: %w; %s", err, repairHint(f, run))
		}
	case errors.Is(err, context.Canceled):
		return // the browser went away
	}
	if code == http.StatusInternalServerError && s.log != nil {
		s.log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, code, map[string]string{"error": err.Error()})
		return
	}
	s.render(w, r, code, "error", map[string]any{"Title": http.StatusText(code), "Code": code, "Error": err.Error()})
}

// render writes a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, page string, data map[string]any) {
	var b strings.Builder
	if err := s.pages[page].ExecuteTemplate(&b, "base.html", data); err != nil {
		if s.log != nil {
			s.log.Printf("%s %s: render %s: %v", r.Method, r.URL.Path, page, err)
		}
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		fmt.Fprint(w, b.String())
	}
}

// path joins escaped path elements into a URL path: path("flows", f)
// is "/flows/" + url.PathEscape(f).
func path(elems ...string) string {
	var b strings.Builder
	for _, e := range elems {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(e))
	}
	return b.String()
}

func runPath(flow, run string) string { return path("flows", flow, "runs", run) }

func taskPath(flow, run, step, task string) string {
	return path("flows", flow, "runs", run, "steps", step, "tasks", task)
}

// taskPathspec links a task's pathspec "run/step/task" (as in Inputs and
// Origin) of flow.
func taskPathspec(flow, ps string) string {
	p := strings.Split(ps, "/")
	if len(p) == 4 { // Flow/run/step/task
		flow, p = p[0], p[1:]
	}
	if len(p) != 3 {
		return ""
	}
	return taskPath(flow, p[0], p[1], p[2])
}
