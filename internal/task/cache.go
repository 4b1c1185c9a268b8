package task

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow/internal/cachekey"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// storeInCache stores a succeeded attempt of a cached task (spec.CacheKey
// set) in the flow's step cache, after its record: only a success is ever
// stored, never a failure or a caught one (a catch ran no step). Of two
// runs storing one key at once, both succeed and the last entry stays:
// either attempt serves.
func (e *Executor) storeInCache(ctx context.Context, spec Spec, rec *datastore.Attempt) error {
	if spec.CacheKey == "" || spec.Caught != "" || rec.Status != datastore.StatusSucceeded {
		return nil
	}
	err := e.Store.Cache().Put(ctx, datastore.CacheEntry{Key: spec.CacheKey, Run: rec.Run, Step: rec.Step, Task: rec.Task,
		Attempt: rec.Attempt, Created: e.now()})
	if err != nil {
		return fmt.Errorf("store in the step cache: %w", err)
	}
	return nil
}

// CacheBook is implemented by the Bookkeeper of a cloud run whose state
// machine decides the hits of its cached steps (cachekey.CloudCached,
// docs/state-machine.md, "Step caching"): the items it reads and writes in
// the bookkeeping table.
type CacheBook interface {
	// PutDigest records the digest of a succeeded task's artifacts, which
	// the state machine hashes into its successor's key.
	PutDigest(ctx context.Context, rec *datastore.Attempt, digest string) error
	// PutCached records a cached task's success under its key, with the
	// digest of its artifacts, for the state machine's lookup.
	PutCached(ctx context.Context, key string, rec *datastore.Attempt, digest string) error
	// Hit returns the hit the state machine recorded for the task
	// run/step/task, if any.
	Hit(ctx context.Context, task string) (CacheHit, bool, error)
	// Invalidate replaces the entry under key by one that names no
	// attempt, which the state machine reads as a miss.
	Invalidate(ctx context.Context, key string) error
	// PutItemDigests records, for a foreach task, the digest of each
	// item's inputs (cachekey.ItemDigest), in index order.
	PutItemDigests(ctx context.Context, rec *datastore.Attempt, digests []string) error
}

// CacheHit is a hit a state machine recorded for a task: the cached
// attempt "run/step/task/attempt", the key it was found by and the task's
// inputs in its run.
type CacheHit struct {
	From   string
	Key    string
	Inputs []string
}

// cloudCache tells the state machine what it needs of a succeeded attempt:
// the digest of its artifacts when its successor is decided in the state
// machine (a caught attempt too: its successor reads it), and a cached
// step's success under its key (never a catch).
func (e *Executor) cloudCache(ctx context.Context, node *graph.Node, spec Spec, rec *datastore.Attempt) error {
	cb, ok := e.Bookkeeper.(CacheBook)
	if !ok || rec.Status != datastore.StatusSucceeded {
		return nil
	}
	if e.CacheItems && node.Kind == graph.Foreach {
		if err := e.putItemDigests(ctx, cb, node, rec); err != nil {
			return err
		}
	}
	stored, feeds := spec.CacheKey != "" && spec.Caught == "", cachekey.FeedsCloudCached(e.Graph, node)
	if !stored && !feeds {
		return nil
	}
	digest := cachekey.Digest(rec.Artifacts)
	if stored {
		if err := cb.PutCached(ctx, spec.CacheKey, rec, digest); err != nil {
			return err
		}
	}
	if feeds {
		return cb.PutDigest(ctx, rec, digest)
	}
	return nil
}

// cachedInput returns the record of task p when the state machine found it
// in the step cache: no job ran for it, so the first task to read it writes
// its record, as the local runtime does on a hit (the cached attempt's
// artifacts and card, by content address; cached_from; the key), and the
// records of the hits it read in turn. nil when p is no recorded hit.
func (e *Executor) cachedInput(ctx context.Context, p pathspec.Pathspec) (*datastore.Attempt, error) {
	cb, ok := e.Bookkeeper.(CacheBook)
	node := e.Graph.Node(p.Step)
	if !ok || !cachekey.CloudCached(e.Graph, node) && !cachekey.MapCached(e.Graph, node) {
		return nil, nil
	}
	h, found, err := cb.Hit(ctx, p.String())
	if err != nil || !found {
		return nil, err
	}
	var run, step, task string
	var attempt int
	if parts := strings.Split(h.From, "/"); len(parts) == 4 {
		run, step, task = parts[0], parts[1], parts[2]
		attempt, err = strconv.Atoi(parts[3])
	} else {
		err = fmt.Errorf("not run/step/task/attempt")
	}
	if err != nil {
		return nil, fmt.Errorf("task %s: the state machine found it in the step cache, from %q: %w", p, h.From, err)
	}
	a, err := e.Store.Attempts().Get(ctx, run, step, task, attempt)
	if err != nil {
		if errors.Is(err, datastore.ErrNotFound) || errors.Is(err, datastore.ErrCorrupt) {
			return nil, e.invalidate(ctx, cb, p, h, fmt.Sprintf("cannot be read (%v)", err))
		}
		return nil, fmt.Errorf("task %s: read its cached attempt %s: %w", p, h.From, err)
	}
	if a.Status != datastore.StatusSucceeded || a.CacheKey != h.Key {
		return nil, e.invalidate(ctx, cb, p, h, "did not succeed under that key")
	}
	for name, ref := range a.Artifacts {
		if ok, err := e.Store.Blobs().Intact(ctx, ref.Hash, ref.Size); err != nil {
			return nil, err
		} else if !ok {
			return nil, e.invalidate(ctx, cb, p, h, "has lost its artifact "+name+" (its blob is missing or damaged)")
		}
	}
	now := e.now()
	c := a
	c.Run, c.Task, c.Attempt, c.Origin, c.CachedFrom = p.Run, p.Task, 0, "", h.From
	c.Inputs, c.Indices, c.Env = h.Inputs, nil, nil
	if cachekey.MapCached(e.Graph, node) {
		// A foreach's item: its index, and this run's item list (the
		// cached attempt holds its own run's, which may differ in other
		// items).
		if c.Indices, err = pathspec.Indices(p.Task, 1); err != nil {
			return nil, fmt.Errorf("task %s: %w", p, err)
		}
		fe := e.Graph.Node(node.In[0])
		field := fe.Step.Transition.Field
		mine, err := e.Store.Attempts().Latest(ctx, p.Run, fe.Name, "0")
		if err != nil {
			return nil, fmt.Errorf("task %s: read its foreach task: %w", p, err)
		}
		theirs, err := e.Store.Attempts().Latest(ctx, run, fe.Name, "0")
		if err != nil || theirs.Artifacts[field].Hash != a.Artifacts[field].Hash {
			return nil, e.invalidate(ctx, cb, p, h, "changed its foreach's item list, or has no foreach task left")
		}
		c.Artifacts = maps.Clone(a.Artifacts)
		c.Artifacts[field] = mine.Artifacts[field]
	}
	c.Start, c.End = now, now
	if err := e.Store.Attempts().Put(ctx, c); err != nil {
		return nil, fmt.Errorf("task %s: record its cache hit: %w", p, err)
	}
	for _, in := range h.Inputs {
		ip, err := pathspec.Parse(in, 3)
		if err != nil {
			return nil, fmt.Errorf("task %s: cache hit input %q: %w", p, in, err)
		}
		if _, ok, err := e.Store.Attempts().Succeeded(ctx, ip.Run, ip.Step, ip.Task); err != nil || ok {
			continue
		}
		if _, err := e.cachedInput(ctx, ip); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// invalidate drops a hit's entry whose attempt cannot serve, so that the
// next execution runs the step, and returns the error that fails this
// task.
func (e *Executor) invalidate(ctx context.Context, cb CacheBook, p pathspec.Pathspec, h CacheHit, why string) error {
	if err := cb.Invalidate(ctx, h.Key); err != nil {
		return fmt.Errorf("task %s: the state machine found it in the step cache, from %s, which %s; dropping the entry failed too: %w", p, h.From, why, err)
	}
	return fmt.Errorf("task %s: the state machine found it in the step cache, from %s, which %s; the entry is dropped: start a new execution, which runs the step", p, h.From, why)
}

// putItemDigests writes the digest of each item's inputs of a succeeded
// foreach task: its artifacts but the item list, the item and its index.
func (e *Executor) putItemDigests(ctx context.Context, cb CacheBook, node *graph.Node, rec *datastore.Attempt) error {
	field := node.Step.Transition.Field
	sf, ok := e.Flow.Field(field)
	ref, has := rec.Artifacts[field]
	if !ok || !has {
		return nil
	}
	list := reflect.New(sf.Type)
	if err := DecodeArtifact(ctx, e.Store.Blobs(), ref, list); err != nil {
		return fmt.Errorf("step cache: the items of %s: %w", rec.Step, err)
	}
	inputs := cachekey.Digest(rec.Artifacts, field)
	items := cachekey.ItemDigests(list.Elem())
	if items == nil {
		// An item that does not encode alone: digests of this attempt
		// only, which no entry has, so every item runs.
		inputs += " " + fmt.Sprintf("%s/%s/%s/%d", rec.Run, rec.Step, rec.Task, rec.Attempt)
		items = make([]string, list.Elem().Len())
	}
	digests := make([]string, len(items))
	for i, it := range items {
		digests[i] = cachekey.ItemDigest(inputs, it, i)
	}
	return cb.PutItemDigests(ctx, rec, digests)
}
