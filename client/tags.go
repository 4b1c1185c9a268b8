package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/flow"
)

// ErrBadTag is wrapped by the errors of Run.AddTags and Run.RemoveTags
// about the tags given: a tag that is not valid, a system tag (one that
// starts with "production:" or "resumed:", which Stepflow sets itself), or
// a tag to remove that the run does not have. The message says which and
// why. Test with errors.Is.
var ErrBadTag = errors.New("bad tag")

// badTagError is a message about a tag given; it matches ErrBadTag.
type badTagError struct{ msg string }

func (e *badTagError) Error() string        { return e.msg }
func (e *badTagError) Is(target error) bool { return target == ErrBadTag }

func badTag(format string, args ...any) error {
	return &badTagError{msg: fmt.Sprintf(format, args...)}
}

// AddTags adds tags to the run, keeping the ones it has (a tag it has
// already is left as it is), and sets r.Tags to the new list. Each tag is
// checked as the --tag of run is (flow.CheckTag): non-empty, one line, at
// most 256 characters, and not a system tag. It is the client's one kind
// of write besides RemoveTags: the run's new list of tags is written in
// one atomic write of its tags record (docs/datastore.md), after it is
// read again, so a run read long ago does not undo a change made since.
// Two writers at the same instant: the last one wins.
func (r *Run) AddTags(ctx context.Context, tags ...string) error {
	if len(tags) == 0 {
		return badTag("no tag to add to run %s; give one or more tags", r.Pathspec())
	}
	for _, t := range tags {
		if err := flow.CheckTag(t); err != nil {
			return &badTagError{msg: err.Error()}
		}
	}
	return r.editTags(ctx, func(have []string) ([]string, error) {
		for _, t := range tags {
			if !slices.Contains(have, t) {
				have = append(have, t)
			}
		}
		return have, nil
	})
}

// RemoveTags removes tags from the run and sets r.Tags to the new list. A
// system tag (SystemTag) cannot be removed, nor a tag the run does not
// have: both are errors wrapping ErrBadTag, and nothing is written. The
// write is AddTags'.
func (r *Run) RemoveTags(ctx context.Context, tags ...string) error {
	if len(tags) == 0 {
		return badTag("no tag to remove from run %s; give one or more tags", r.Pathspec())
	}
	for _, t := range tags {
		if p := SystemTag(t); p != "" {
			return badTag("tag %q of run %s cannot be removed: tags starting with %q are set by Stepflow itself (%s)", t, r.Pathspec(), p, systemTagWhy(p))
		}
	}
	return r.editTags(ctx, func(have []string) ([]string, error) {
		had := slices.Clone(have)
		for _, t := range tags {
			i := slices.Index(have, t)
			if i < 0 {
				return nil, badTag("run %s has no tag %q (its tags: %s)", r.Pathspec(), t, listOf(had))
			}
			have = slices.Delete(have, i, i+1)
		}
		return have, nil
	})
}

// SystemTag returns the prefix that makes tag one of the tags Stepflow
// sets itself ("production:", "resumed:"), or "" for a user's tag. The
// prefixes are flow.ProductionTagPrefix and flow.ResumedTagPrefix, which
// flow.CheckTag refuses in a user's tags, compared without case.
func SystemTag(tag string) string {
	for _, p := range []string{flow.ProductionTagPrefix, flow.ResumedTagPrefix} {
		if strings.HasPrefix(strings.ToLower(tag), p) {
			return p
		}
	}
	return ""
}

// systemTagWhy says what the system tags of prefix p mark.
func systemTagWhy(p string) string {
	if p == flow.ResumedTagPrefix {
		return "it names the run a resumed run reused tasks from, and comes from the run's record, not from its tags"
	}
	return "it marks the runs of a deployment, and its production token"
}

// editTags reads the run's record again, applies edit to its tags and
// writes the result.
func (r *Run) editTags(ctx context.Context, edit func(have []string) ([]string, error)) error {
	rec, _, err := r.f.s.Runs().Get(ctx, r.ID)
	if errors.Is(err, ErrNotFound) {
		return notFound("flow %s has no run %q in datastore %s", r.Flow, r.ID, r.f.c.root)
	}
	if err != nil {
		return err
	}
	tags, err := edit(slices.Clone(rec.Tags))
	if err != nil {
		return err
	}
	if err := r.f.s.Runs().PutTags(ctx, r.ID, tags, time.Now()); err != nil {
		return fmt.Errorf("tag run %s: %w", r.Pathspec(), err)
	}
	r.Tags = slices.Clip(tags)
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	return nil
}
