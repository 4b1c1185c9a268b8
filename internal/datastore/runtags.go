package datastore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RunTags is the record of a run's tags as changed after the run started
// (`tag add`, `tag remove`, client Run.AddTags and RemoveTags), at
// "<flow>/runs/<run>/tags.json". It holds the whole list, which replaces
// the tags of run.json: run.json stays as written when the run started.
type RunTags struct {
	Tags    []string  `json:"tags"`
	Updated time.Time `json:"updated"`
}

// tagsMark is the content of a run's index entry once its tags changed:
// a listing (which gives each entry's size) then knows to read tags.json,
// and reads nothing more for the runs whose tags never changed.
const tagsMark = "tags\n"

// PutTags replaces the run's tags by tags: it writes the run's tags.json
// in one Save (atomic on every backend: a reader sees the old list or the
// new one), then marks the run's index entry. Two writers at once: the
// last one wins. The run must exist.
func (rs *Runs) PutTags(ctx context.Context, run string, tags []string, now time.Time) error {
	dir, err := rs.runDir(run)
	if err != nil {
		return fmt.Errorf("put run tags: %w", err)
	}
	if tags == nil {
		tags = []string{}
	}
	if err := rs.putJSON(ctx, dir+"tags.json", RunTags{Tags: tags, Updated: now.UTC()}); err != nil {
		return err
	}
	return rs.b.Save(ctx, rs.indexKey(run), strings.NewReader(tagsMark))
}

// applyTags replaces r.Tags by the run's tags.json, when it has one.
func (rs *Runs) applyTags(ctx context.Context, dir string, r *Run) error {
	var t RunTags
	err := rs.getJSON(ctx, dir+"tags.json", &t)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	r.Tags = t.Tags
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	return nil
}
