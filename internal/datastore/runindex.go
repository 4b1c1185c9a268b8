package datastore

import (
	"context"
	"fmt"
	"strings"
)

// MissingIndex is the Damage of a run stored under "<flow>/runs/<run>/"
// without its index entry "<flow>/index/<run>": runs, flows and latest,
// which list the index, do not see it. Repair writes the entry.
const MissingIndex = "missing index entry"

// indexKey is the name of a run's index entry.
func (s *Store) indexKey(run string) string { return s.flow + "/index/" + run }

// RunDirs returns the ids of every run stored under "<flow>/runs/", with
// an index entry or not, in lexical order: one delimiter listing, for
// verify, which must find the runs the index lost.
func (s *Store) RunDirs(ctx context.Context) ([]string, error) {
	if err := checkElem("flow name", s.flow); err != nil {
		return nil, fmt.Errorf("list run folders: %w", err)
	}
	var ids []string
	if err := s.b.Dirs(ctx, s.flow+"/runs/", func(elem string) error {
		ids = append(ids, strings.TrimSuffix(elem, "/"))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list run folders of %s: %w", s.flow, err)
	}
	return ids, nil
}

// checkIndexed reports the run's missing index entry as Damage, or nil.
func (s *Store) checkIndexed(ctx context.Context, run string) (*Damage, error) {
	_, err := s.b.Stat(ctx, s.indexKey(run))
	switch {
	case err == nil:
		return nil, nil
	case IsNotFound(err):
		return &Damage{Key: s.indexKey(run), Kind: MissingIndex,
			Err: fmt.Errorf("run %s is stored, but the run index does not list it, so runs, flows and latest miss it", run)}, nil
	}
	return nil, fmt.Errorf("verify run %s: %w", run, err)
}
