package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/stepflow/stepflow/internal/cachekey"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/task"
)

// CacheOptions say how a run uses the step cache (docs/runtime.md, "Step
// caching").
type CacheOptions struct {
	// Off runs every task of the cached steps, neither looking them up
	// nor storing them (run --no-cache).
	Off bool
	// Refresh names cached steps whose tasks run even on a hit, and
	// replace their entries when they succeed (run --refresh-cache).
	Refresh map[string]bool
	// Code is the identity of the flow's code in the keys of the cached
	// steps without a version; empty: the SHA-256 of the flow binary
	// (Options.Exe, or this process's executable when tasks run
	// in-process).
	Code string
}

// cacheState is a run's memory of what its cache keys share: the code's
// identity, hashed once, and the digests of the items of each foreach task.
type cacheState struct {
	codeOnce sync.Once
	code     string
	codeErr  error

	mu    sync.Mutex
	items map[string]*foreachItems // by the foreach task's pathspec
	hits  int                      // tasks found in the cache
}

// foreachItems are the digests of a foreach task's items, each as it
// would be stored on its own; nil when the items cannot be encoded one by
// one, and then each body task's key covers the whole list.
type foreachItems struct {
	ref     datastore.ArtifactRef
	digests []string
}

// codeIdentity is the flow's code in a key: "binary <SHA-256 of the flow
// binary>", or Options.Cache.Code as given.
func (s *sched) codeIdentity() (string, error) {
	c := &s.cache
	c.codeOnce.Do(func() {
		if s.r.Opts.Cache.Code != "" {
			c.code = s.r.Opts.Cache.Code
			return
		}
		exe := s.r.Opts.Exe
		if exe == "" || s.r.Opts.InProcess {
			if exe, c.codeErr = os.Executable(); c.codeErr != nil {
				c.codeErr = fmt.Errorf("step cache: find the flow binary to identify its code: %w", c.codeErr)
				return
			}
		}
		c.code, c.codeErr = hashFile(exe)
	})
	return c.code, c.codeErr
}

// hashFile returns "binary " and the hex SHA-256 of a file's content.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("step cache: identify the flow's code: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("step cache: identify the flow's code: read %s: %w", path, err)
	}
	return "binary " + hex.EncodeToString(h.Sum(nil)), nil
}

// cacheKey returns the cache key of j, or "" when its step is not cached
// or the run does not use the cache. The key covers, in this order: the
// flow and the step's identity (flow.Flow.StepIdentity: its options and
// the state's fields), the code (the step's cache version, or the flow
// binary's identity), the task id (the foreach indices), the digest of
// each enclosing foreach's item, the run's parameters and configs (start
// step), and the digest of each input's artifacts (a foreach's item list
// left out while it is the one the foreach split, as the items stand for
// it).
//
// It returns with the key the item lists it left out, which a hit must
// take from this run.
func (s *sched) cacheKey(j *Job) (string, []itemList, error) {
	o := j.Step.Step.Options.Cache
	if o == nil || s.r.Opts.Cache.Off || j.Caught != "" {
		return "", nil, nil
	}
	f, g := s.r.Flow, s.r.Graph
	b := cachekey.New()
	b.Add("flow", f.Name)
	b.Add("step", f.StepIdentity(j.Step.Name))
	if o.Version != "" {
		b.Add("code", "version "+o.Version)
	} else {
		code, err := s.codeIdentity()
		if err != nil {
			return "", nil, err
		}
		b.Add("code", code)
	}
	b.Add("task", j.ID)
	var lists []itemList
	for k, fe := range g.ForeachParents(j.Step) {
		field := g.Node(fe).Step.Transition.Field
		task := pathspec.TaskID(j.Indices[:k])
		it, err := s.foreachItems(pathspec.Task(j.Run, fe, task), field)
		if err != nil {
			return "", nil, err
		}
		if it.digests == nil || j.Indices[k] >= len(it.digests) {
			continue
		}
		b.Add("item", it.digests[j.Indices[k]])
		lists = append(lists, itemList{field: field, step: fe, task: task, ref: it.ref})
	}
	inputs := j.Inputs
	switch {
	case j.Step.Name == g.Start:
		if err := s.addRunValues(b); err != nil {
			return "", nil, err
		}
	case j.Step.Kind == graph.Join && len(inputs) == 0:
		// An empty foreach's join goes on from the foreach task.
		inputs = []string{pathspec.Task(j.Run, j.Step.Split(), j.ID).String()}
	}
	for _, in := range inputs {
		p, err := pathspec.Parse(in, 3)
		if err != nil {
			return "", nil, fmt.Errorf("step cache: input %q: %w", in, err)
		}
		a, err := s.r.Store.Attempts().Latest(s.ctx, p.Run, p.Step, p.Task)
		if err != nil {
			return "", nil, fmt.Errorf("step cache: input %s: %w", in, err)
		}
		var left []string
		for _, l := range lists {
			if a.Artifacts[l.field].Hash == l.ref.Hash {
				left = append(left, l.field)
			}
		}
		b.Add("input", cachekey.Digest(a.Artifacts, left...))
	}
	return b.Key(), lists, nil
}

// itemList is the item list of an enclosing foreach that a key leaves
// out, the item standing for it: the foreach step and task, its field, and
// its ref in this run.
type itemList struct {
	field, step, task string
	ref               datastore.ArtifactRef
}

// takeLists points a hit's item lists at this run's (lists): the cached
// attempt holds the lists of its own run, which may differ in other
// items. It reports false when the cached attempt's list is not the one
// its foreach split (the step changed it, from more than its item): then
// the task runs.
func (s *sched) takeLists(c *datastore.Attempt, from string, lists []itemList) (bool, error) {
	for _, l := range lists {
		fe, err := s.r.Store.Attempts().Latest(s.ctx, from, l.step, l.task)
		if errors.Is(err, datastore.ErrNotFound) || errors.Is(err, datastore.ErrCorrupt) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if c.Artifacts[l.field].Hash != fe.Artifacts[l.field].Hash {
			return false, nil
		}
		c.Artifacts[l.field] = l.ref
	}
	return true, nil
}

// addRunValues adds the run's parameters (given, or the default) and
// configs (by the hash of their frozen values) to a start task's key.
func (s *sched) addRunValues(b *cachekey.Builder) error {
	run, _, err := s.r.Store.Runs().Get(s.ctx, s.run)
	if err != nil {
		return fmt.Errorf("step cache: %w", err)
	}
	for _, p := range s.r.Flow.Params {
		if v, ok := run.Params[p.Name]; ok {
			b.Add("param "+p.Name, v)
		} else {
			b.Add("param default "+p.Name, fmt.Sprintf("%T %#v", p.Default, p.Default))
		}
	}
	for _, c := range s.r.Flow.Configs {
		b.Add("config "+c.Name, run.Configs[c.Name])
	}
	return nil
}

// foreachItems returns the digests of the items of the foreach task ps,
// whose items are in field, computed once per run.
func (s *sched) foreachItems(ps pathspec.Pathspec, field string) (*foreachItems, error) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.items[ps.String()]; ok {
		return it, nil
	}
	a, err := s.r.Store.Attempts().Latest(s.ctx, ps.Run, ps.Step, ps.Task)
	if err != nil {
		return nil, fmt.Errorf("step cache: foreach task %s: %w", ps, err)
	}
	it := &foreachItems{ref: a.Artifacts[field]}
	if sf, ok := s.r.Flow.Field(field); ok && it.ref.Hash != "" {
		list := reflect.New(sf.Type)
		if err := task.DecodeArtifact(s.ctx, s.r.Store.Blobs(), it.ref, list); err != nil {
			return nil, fmt.Errorf("step cache: items of foreach task %s: %w", ps, err)
		}
		it.digests = cachekey.ItemDigests(list.Elem())
	}
	if c.items == nil {
		c.items = map[string]*foreachItems{}
	}
	c.items[ps.String()] = it
	return it, nil
}

// fromCache computes j's cache key (j.CacheKey) and looks it up. On a hit
// it writes j's record in this run, pointing at the cached attempt's
// artifacts and card (shared by content address, not copied), and returns
// it; nil means the task runs: no key, a step to refresh, no entry, or an
// entry whose attempt or blobs are missing or damaged.
func (s *sched) fromCache(j *Job) (*datastore.Attempt, error) {
	key, lists, err := s.cacheKey(j)
	if err != nil || key == "" {
		return nil, err
	}
	j.CacheKey = key
	if s.r.Opts.Cache.Refresh[j.Step.Name] {
		return nil, nil
	}
	e, err := s.r.Store.Cache().Get(s.ctx, key)
	if errors.Is(err, datastore.ErrNotFound) || errors.Is(err, datastore.ErrCorrupt) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a, err := s.r.Store.Attempts().Get(s.ctx, e.Run, e.Step, e.Task, e.Attempt)
	if errors.Is(err, datastore.ErrNotFound) || errors.Is(err, datastore.ErrCorrupt) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if a.Status != datastore.StatusSucceeded || a.CacheKey != key || a.Step != j.Step.Name || a.Caught != "" {
		return nil, nil // not what the entry says it is: run the task
	}
	if ok, err := s.blobsIntact(a); err != nil || !ok {
		return nil, err
	}
	now := time.Now().UTC()
	c := a
	c.Artifacts = maps.Clone(a.Artifacts)
	if ok, err := s.takeLists(&c, e.Run, lists); err != nil || !ok {
		return nil, err
	}
	c.Run, c.Task, c.Attempt = s.run, j.ID, j.Attempt
	c.Inputs = slices.Clone(j.Inputs)
	c.Indices = slices.Clone(j.Indices)
	c.Origin = ""
	c.CachedFrom = e.Pathspec()
	c.Start, c.End = now, now
	if err := s.r.Store.Attempts().Put(s.ctx, c); err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	s.cache.hits++
	s.cache.mu.Unlock()
	return &c, nil
}

// blobsIntact reports whether every blob of a can be trusted, its
// artifacts' (by their stored header and length, and small ones by their
// content, as Blobs.Put checks a blob before skipping its write) and its
// card's: a damaged or missing blob is no hit, and the task runs (and
// stores its blobs again).
func (s *sched) blobsIntact(a datastore.Attempt) (bool, error) {
	for _, ref := range a.Artifacts {
		ok, err := s.r.Store.Blobs().Intact(s.ctx, ref.Hash, ref.Size)
		if err != nil || !ok {
			return false, err
		}
	}
	if a.Card != "" {
		return s.r.Store.Blobs().Has(s.ctx, a.Card)
	}
	return true, nil
}
