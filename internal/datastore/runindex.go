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

// StoredIDs returns the ids of every run stored under "<flow>/runs/",
// with an index entry or not, in lexical order: one delimiter listing,
// for verify, which must find the runs the index lost.
func (rs *Runs) StoredIDs(ctx context.Context) ([]string, error) {
	if err := checkElem("flow name", rs.flow); err != nil {
		return nil, fmt.Errorf("list run folders: %w", err)
	}
	var ids []string
	if err := rs.b.Dirs(ctx, rs.flow+"/runs/", func(elem string) error {
		ids = append(ids, strings.TrimSuffix(elem, "/"))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list run folders of %s: %w", rs.flow, err)
	}
	return ids, nil
}

// checkIndexed reports the run's missing index entry as Damage, or nil.
func (rs *Runs) checkIndexed(ctx context.Context, run string) (*Damage, error) {
	_, err := rs.b.Stat(ctx, rs.indexKey(run))
	switch {
	case err == nil:
		return nil, nil
	case IsNotFound(err):
		return &Damage{Key: rs.indexKey(run), Kind: MissingIndex,
			Err: fmt.Errorf("run %s is stored, but the run index does not list it, so runs, flows and latest miss it", run)}, nil
	}
	return nil, fmt.Errorf("verify run %s: %w", run, err)
}
