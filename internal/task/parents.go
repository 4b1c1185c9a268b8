package task

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/usage"
)

// ParentCache shares the loading of a foreach task's state between its
// children, for an Executor that runs many tasks in one process (the local
// runtime's --in-process mode). Without it, each of N children finds the
// foreach task's latest attempt and decodes its state, N-item list
// included, so a foreach costs O(N²). With it, the record is found and the
// plain-data artifacts decoded once; each child gets its own deep copy
// (artifact.Clone), so a step that changes what it inherited never changes
// what its siblings see. Artifacts that are not plain data (pointers,
// interfaces, custom encodings) are decoded afresh for every child, and
// lazy and file fields get their own source, as without the cache.
//
// A successful attempt is never replaced within a run, so an entry stays
// valid; it is dropped once as many children have loaded it as the
// foreach is wide. Use one ParentCache per run. It is safe for concurrent
// use.
type ParentCache struct {
	mu      sync.Mutex
	entries map[string]*parentEntry
}

// parentEntry is one foreach task's loaded state.
type parentEntry struct {
	mu     sync.Mutex
	loaded bool
	rec    *datastore.Attempt
	state  reflect.Value // *T: only the plain fields in shared are set
	shared map[string]bool
	snaps  map[string]artifact.Snapshot
	uses   int
}

// entry returns the entry of ps, creating it.
func (c *ParentCache) entry(ps string) *parentEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*parentEntry{}
	}
	en := c.entries[ps]
	if en == nil {
		en = &parentEntry{}
		c.entries[ps] = en
	}
	return en
}

// used counts a child's load of ps and drops the entry after the last one.
func (c *ParentCache) used(ps string, en *parentEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	en.uses++
	if en.uses >= en.rec.ForeachWidth && c.entries[ps] == en {
		delete(c.entries, ps)
	}
}

// loadParent loads the state of ps, the single input of a task, as
// loader.load does, with the snapshots of the artifacts it could take from
// the cache (nil when it did not use the cache).
func (e *Executor) loadParent(ctx context.Context, l *loader, ps string) (reflect.Value, *datastore.Attempt, map[string]artifact.Snapshot, error) {
	p, err := pathspec.Parse(ps, 3)
	if err != nil {
		return reflect.Value{}, nil, nil, usage.Wrap(err)
	}
	parent := e.Graph.Node(p.Step)
	if e.Parents == nil || parent == nil || parent.Step.Transition.Kind != flow.Foreach {
		s, r, err := l.load(ctx, ps, false)
		return s, r, nil, err
	}
	en := e.Parents.entry(ps)
	if err := en.load(ctx, l, ps, p); err != nil {
		return reflect.Value{}, nil, nil, err
	}
	defer e.Parents.used(ps, en)
	state := reflect.New(e.Flow.StateType)
	snaps := map[string]artifact.Snapshot{}
	for _, sf := range e.Flow.Fields() {
		ref, ok := en.rec.Artifacts[sf.Name]
		if !ok {
			continue
		}
		field := state.Elem().FieldByIndex(sf.Index)
		if en.shared[sf.Name] {
			v, _ := artifact.Clone(en.state.Elem().FieldByIndex(sf.Index))
			field.Set(v)
			if s, ok := en.snaps[sf.Name]; ok {
				snaps[sf.Name] = s
			}
			continue
		}
		if err := l.decode(ctx, ref, field); err != nil {
			return reflect.Value{}, nil, nil, fmt.Errorf("load artifact %s of %s: %w", sf.Name, ps, err)
		}
	}
	return state, en.rec, snaps, nil
}

// load finds the latest successful attempt of p and decodes its plain
// artifacts, once; a failed load is tried again by the next caller.
func (en *parentEntry) load(ctx context.Context, l *loader, ps string, p pathspec.Pathspec) error {
	en.mu.Lock()
	defer en.mu.Unlock()
	if en.loaded {
		return nil
	}
	rec, err := l.succeeded(ctx, p)
	if err != nil {
		return fmt.Errorf("load input %s: %w", ps, err)
	}
	if rec == nil {
		return badInput("input %s has no successful attempt in the datastore", ps)
	}
	state := reflect.New(l.flow.StateType)
	shared := map[string]bool{}
	snaps := map[string]artifact.Snapshot{}
	for _, sf := range l.flow.Fields() {
		ref, ok := rec.Artifacts[sf.Name]
		if !ok || artifact.IsLazy(sf.Type) || artifact.IsFile(sf.Type) {
			continue
		}
		if !artifact.Cloneable(sf.Type) {
			continue // not plain data: each child decodes its own
		}
		field := state.Elem().FieldByIndex(sf.Index)
		if err := l.decode(ctx, ref, field); err != nil {
			return fmt.Errorf("load artifact %s of %s: %w", sf.Name, ps, err)
		}
		shared[sf.Name] = true
		if s, ok := artifact.Snap(field); ok {
			snaps[sf.Name] = s
		}
	}
	en.rec, en.state, en.shared, en.snaps, en.loaded = rec, state, shared, snaps, true
	return nil
}
