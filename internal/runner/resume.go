package runner

import (
	"errors"
	"strings"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// RerunSet returns the steps a resume from step runs again: step and every
// step reachable from it. An empty step reruns nothing that succeeded.
func RerunSet(g *graph.Graph, step string) map[string]bool {
	set := map[string]bool{}
	if step == "" {
		return set
	}
	var visit func(string)
	visit = func(n string) {
		if set[n] {
			return
		}
		set[n] = true
		for _, o := range g.Node(n).Out {
			visit(o)
		}
	}
	visit(step)
	return set
}

// clone reuses the origin's successful attempt of the same task, if any, by
// writing a record in the new run that points at the same blobs. It
// returns nil when the task must run.
// The origin comes first; then the runs it resumed, nearest first.
func (s *sched) clone(j *Job) (*datastore.Attempt, error) {
	var a datastore.Attempt
	var origin pathspec.Pathspec
	found := false
	for _, run := range append([]string{s.resume.Origin}, s.resume.Chain...) {
		origin = pathspec.Task(run, j.Step.Name, j.ID)
		var err error
		a, found, err = s.r.Store.Attempts().Succeeded(s.ctx, origin.Run, origin.Step, origin.Task)
		if errors.Is(err, datastore.ErrCorrupt) {
			found = false // a damaged record is no success to reuse: run the task
		} else if err != nil {
			return nil, err
		}
		if found {
			found, err = s.blobsPresent(a)
			if err != nil {
				return nil, err
			}
		}
		if found {
			break
		}
	}
	if !found {
		return nil, nil
	}
	if a.Origin != "" {
		// Cloned there already: point at the task that ran.
		if o, err := pathspec.Parse(a.Origin, 3); err == nil {
			origin = o
		}
	}
	c := a
	c.Run = s.run
	c.Attempt = 0
	c.Origin = origin.String()
	c.Inputs = make([]string, len(a.Inputs))
	for i, in := range a.Inputs {
		c.Inputs[i] = s.run + strings.TrimPrefix(in, a.Run)
	}
	if err := s.r.Store.Attempts().Put(s.ctx, c); err != nil {
		return nil, err
	}
	return &c, nil
}

// blobsPresent reports whether every blob of a is stored, its artifacts'
// and its card's: verify --repair removes damaged blobs so that a resume
// runs their tasks again instead of reusing them (a reused task whose card
// is gone would leave the new run pointing at nothing).
func (s *sched) blobsPresent(a datastore.Attempt) (bool, error) {
	hashes := make([]string, 0, len(a.Artifacts)+1)
	for _, ref := range a.Artifacts {
		hashes = append(hashes, ref.Hash)
	}
	if a.Card != "" {
		hashes = append(hashes, a.Card)
	}
	for _, h := range hashes {
		ok, err := s.r.Store.Blobs().Has(s.ctx, h)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}
