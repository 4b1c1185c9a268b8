package datastore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Runs holds a flow's run records: "<flow>/runs/<run>/run.json" (Run),
// written once when the run starts, "<flow>/runs/<run>/end.json"
// (RunEnd), written once when it ends, and the flow's run index,
// "<flow>/index/<run>", an empty object per run that lets List find the
// runs without walking their objects (holding a mark once the run's tags
// changed: PutTags). Every record carries its checksum;
// a record that fails it reads as an error wrapping ErrCorrupt, a missing
// one as ErrNotFound. It is safe for concurrent use.
type Runs struct {
	layout
}

// Put writes the run record, then its run index entry. It is written
// once, when the run starts. It sets r.Flow to the store's flow (a record
// for another flow is refused) and r.AttemptIndex to AttemptIndexVersion.
func (rs *Runs) Put(ctx context.Context, r Run) error {
	dir, err := rs.runDir(r.ID)
	if err != nil {
		return fmt.Errorf("put run: %w", err)
	}
	if r.Flow != "" && r.Flow != rs.flow {
		return fmt.Errorf("put run %s: record is for flow %q, store is for flow %q", r.ID, r.Flow, rs.flow)
	}
	r.Flow = rs.flow
	r.AttemptIndex = AttemptIndexVersion
	if err := rs.putJSON(ctx, dir+"run.json", r); err != nil {
		return err
	}
	// The index lets List list runs without walking every task's objects.
	return rs.b.Save(ctx, rs.indexKey(r.ID), strings.NewReader(""))
}

// PutEnd writes the run's end record. It is written once, when the run
// ends (or when a resume takes over a crashed run: Leases.MarkResumed).
func (rs *Runs) PutEnd(ctx context.Context, run string, e RunEnd) error {
	dir, err := rs.runDir(run)
	if err != nil {
		return fmt.Errorf("put run end: %w", err)
	}
	return rs.putJSON(ctx, dir+"end.json", e)
}

// Get returns the run record, its tags as tags.json has them when they
// changed after the start (PutTags), and its end record, or a nil *RunEnd while
// the run is going (or after it crashed). A missing run wraps ErrNotFound.
func (rs *Runs) Get(ctx context.Context, id string) (Run, *RunEnd, error) {
	dir, err := rs.runDir(id)
	if err != nil {
		return Run{}, nil, fmt.Errorf("get run: %w", err)
	}
	var r Run
	if err := rs.getJSON(ctx, dir+"run.json", &r); err != nil {
		return Run{}, nil, err
	}
	if r.ID != id {
		return Run{}, nil, fmt.Errorf("get %srun.json: %w: it names run %q", dir, ErrCorrupt, r.ID)
	}
	if err := rs.applyTags(ctx, dir, &r); err != nil {
		return Run{}, nil, err
	}
	var e RunEnd
	switch err := rs.getJSON(ctx, dir+"end.json", &e); {
	case errors.Is(err, ErrNotFound):
		return r, nil, nil
	case err != nil:
		return Run{}, nil, err
	}
	return r, &e, nil
}

// List returns the flow's readable run records, newest first (by Start,
// then by ID descending). A run whose record is damaged is left out; use
// ListWithDamage to hear about it.
func (rs *Runs) List(ctx context.Context) ([]Run, error) {
	runs, _, err := rs.ListWithDamage(ctx)
	return runs, err
}

// DamagedRun is a run of the index whose record cannot be read.
type DamagedRun struct {
	ID  string
	Err error // wraps ErrCorrupt (or ErrNotFound: indexed, but no record)
}

// ListWithDamage returns the flow's run records, newest first (by Start,
// then by ID descending), and apart from them the runs whose record is
// damaged or missing, in id order: one bad record does not hide the
// others. Errors of the backend itself (it cannot be listed or read) stop
// the listing.
//
// It lists the flow's run index, "<flow>/index/", and reads one record per
// run.
func (rs *Runs) ListWithDamage(ctx context.Context) ([]Run, []DamagedRun, error) {
	if err := checkElem("flow name", rs.flow); err != nil {
		return nil, nil, fmt.Errorf("list runs: %w", err)
	}
	prefix := rs.flow + "/runs/"
	var ids []string
	tagged := map[string]bool{} // runs whose tags changed (a non-empty entry)
	err := rs.b.List(ctx, rs.flow+"/index/", func(name string, size int64) error {
		id := strings.TrimPrefix(name, rs.flow+"/index/")
		ids = append(ids, id)
		tagged[id] = size > 0
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list runs of %s: %w", rs.flow, err)
	}
	runs := make([]Run, 0, len(ids))
	var damaged []DamagedRun
	for _, id := range ids {
		var r Run
		err := checkElem("run id", id)
		if err != nil {
			err = fmt.Errorf("index entry %s/index/%s: %w: %v", rs.flow, id, ErrCorrupt, err)
		} else {
			err = rs.getJSON(ctx, prefix+id+"/run.json", &r)
		}
		if err == nil && r.ID != id {
			err = fmt.Errorf("get %srun.json: %w: it names run %q", prefix+id+"/", ErrCorrupt, r.ID)
		}
		if err == nil && tagged[id] {
			err = rs.applyTags(ctx, prefix+id+"/", &r)
		}
		switch {
		case err == nil:
			runs = append(runs, r)
		case errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotFound):
			damaged = append(damaged, DamagedRun{ID: id, Err: err})
		default:
			return nil, nil, err
		}
	}
	slices.SortStableFunc(runs, func(a, b Run) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return runs, damaged, nil
}
