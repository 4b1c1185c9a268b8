package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/stepflow/stepflow/internal/cardhtml"
)

// cardCSP is the Content-Security-Policy of a card document: cardhtml.CSP (no
// script, no connection, images from data: URLs, the card's own style)
// in a sandbox that allows no script, framed only by the UI's own pages.
// The sandbox keeps the UI's origin (allow-same-origin) so that the task
// page, not the card, can read the card's height and size its frame to
// it; with scripts forbidden twice (the sandbox and script-src 'none' by
// default-src), the card itself can do nothing with that origin.
func cardCSP() string {
	return cardhtml.CSP() + "; sandbox allow-same-origin; frame-ancestors 'self'"
}

// cardPage serves a task attempt's card as the self-contained HTML
// document that `stepflow card view` writes; ?download=1 serves it as a
// file.
func (s *Server) cardPage(w http.ResponseWriter, r *http.Request) {
	_, t, err := s.task(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	k, err := t.Card(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := cardhtml.Write(&b, k, t.Pathspec()+" card"); err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", cardCSP())
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	if r.URL.Query().Get("download") != "" {
		name := safeFilename(fmt.Sprintf("%s-%s-%s-%s-%d", t.Flow, t.Run, t.Step, t.ID, t.Attempt)) + ".html"
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	}
	if r.Method != http.MethodHead {
		w.Write(b.Bytes())
	}
}

// apiCard answers a task attempt's card as its stored JSON: a format
// version and its elements.
func (s *Server) apiCard(w http.ResponseWriter, r *http.Request) {
	_, t, err := s.task(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	k, err := t.Card(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}
