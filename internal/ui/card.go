package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/cardhtml"
	"github.com/stepflow/stepflow/internal/defaultcard"
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
// document that `stepflow card view` writes; ?default=1 serves its
// default card instead (package defaultcard), ?download=1 as a file.
func (s *Server) cardPage(w http.ResponseWriter, r *http.Request) {
	run, t, err := s.task(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	k, title, err := s.card(r, run, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := cardhtml.Write(&b, k, title); err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", cardCSP())
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	if r.URL.Query().Get("download") != "" {
		name := safeFilename(fmt.Sprintf("%s-%s-%s-%s-%d", t.Flow, t.Run, t.Step, t.ID, t.Attempt))
		if r.URL.Query().Get("default") != "" {
			name += "-default"
		}
		name += ".html"
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	}
	if r.Method != http.MethodHead {
		w.Write(b.Bytes())
	}
}

// apiCard answers a task attempt's card as its stored JSON: a format
// version and its elements.
func (s *Server) apiCard(w http.ResponseWriter, r *http.Request) {
	run, t, err := s.task(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	k, _, err := s.card(r, run, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}

// card returns the card a request asks for, and its title: the task
// attempt's own, or with ?default=1 its default card.
func (s *Server) card(r *http.Request, run *client.Run, t *client.Task) (*card.Card, string, error) {
	if r.URL.Query().Get("default") == "" {
		k, err := t.Card(r.Context())
		return k, t.Pathspec() + " card", err
	}
	k, err := defaultcard.Build(r.Context(), run, t, defaultcard.Attempts(r.Context(), run, t))
	return k, t.Pathspec() + " default card", err
}

// apiCardVersion answers the version of a task attempt's card, which
// changes when the card does ("" while it has none): the task page of a
// running attempt polls it, and reloads the card when its step refreshed
// it (stepflow.Context.RefreshCard).
func (s *Server) apiCardVersion(w http.ResponseWriter, r *http.Request) {
	_, t, err := s.task(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	version, err := t.CardVersion(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": version, "status": t.Status})
}
