package runner_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/runner"
)

// CacheFlow is the state of the step cache's test flow: start (not
// cached) lists Words; upper (cached) runs once per word; join, last and
// end are cached; mid, between join and last, is not, and copies the
// test's Noise.
type CacheFlow struct {
	N      int
	Words  []string
	Upper  string
	Uppers []string
	Noise  int
	Result string
}

// cacheWorld is what the test flow reads from the test, and the number
// of times each step's function ran.
type cacheWorld struct {
	mu     sync.Mutex
	words  []string
	noise  int
	fail   bool // last fails
	counts map[string]int
}

func (w *cacheWorld) ran(step string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.counts[step]++
}

// take returns the counts since the last call and resets them.
func (w *cacheWorld) take() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.counts
	w.counts = map[string]int{}
	return c
}

func newCacheFlow(w *cacheWorld) *flow.Flow {
	f := stepflow.New[CacheFlow]("CacheFlow").
		Param("n", 1, "a number every step inherits").
		Step("start", func(s *CacheFlow, c *stepflow.Context) error {
			w.ran("start")
			w.mu.Lock()
			s.Words = slices.Clone(w.words)
			w.mu.Unlock()
			return nil
		}, stepflow.Foreach("Words", "upper")).
		Step("upper", func(s *CacheFlow, c *stepflow.Context) error {
			w.ran("upper")
			s.Upper = strings.ToUpper(stepflow.Item[string](c))
			return nil
		}, stepflow.Next("join"), stepflow.Cache()).
		Join("join", func(s *CacheFlow, c *stepflow.Context, in []*CacheFlow) error {
			w.ran("join")
			s.Uppers = nil
			for _, t := range in {
				s.Uppers = append(s.Uppers, t.Upper)
			}
			return nil
		}, stepflow.Next("mid"), stepflow.Drop("Upper"), stepflow.Cache("v1")).
		Step("mid", func(s *CacheFlow, c *stepflow.Context) error {
			w.ran("mid")
			w.mu.Lock()
			s.Noise = w.noise
			w.mu.Unlock()
			return nil
		}, stepflow.Next("last")).
		Step("last", func(s *CacheFlow, c *stepflow.Context) error {
			w.ran("last")
			w.mu.Lock()
			fail := w.fail
			w.mu.Unlock()
			if fail {
				return errors.New("last fails on purpose")
			}
			s.Result = fmt.Sprintf("%d %v %d", s.N, s.Uppers, s.Noise)
			return nil
		}, stepflow.Next("end"), stepflow.Cache()).
		Step("end", func(s *CacheFlow, c *stepflow.Context) error {
			w.ran("end")
			c.Card().Markdown("result: " + s.Result)
			return nil
		}, stepflow.Cache())
	def, ok := flow.DefinitionOf(f)
	if !ok {
		panic("not a stepflow.New flow")
	}
	return def
}

// cacheRig runs the test flow in-process against one datastore.
type cacheRig struct {
	t     *testing.T
	world *cacheWorld
	def   *flow.Flow
	g     *graph.Graph
	store *datastore.Store
	root  string
	runs  int
}

func newCacheRig(t *testing.T) *cacheRig {
	t.Helper()
	w := &cacheWorld{words: []string{"alpha", "beta", "gamma"}, counts: map[string]int{}}
	def := newCacheFlow(w)
	g, err := graph.New(def)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &cacheRig{t: t, world: w, def: def, g: g, store: datastore.NewStore(b, def.Name), root: root}
}

// run runs the flow once as run id, with the parameter n, and returns the
// run's error.
func (r *cacheRig) runAs(id string, n int, opts runner.CacheOptions) error {
	r.t.Helper()
	ctx := context.Background()
	rec := datastore.Run{Flow: r.def.Name, ID: id, Start: time.Now().UTC(), Params: map[string]string{"n": fmt.Sprint(n)},
		Runtime: "local", AttemptIndex: datastore.AttemptIndexVersion}
	if err := r.store.Runs().Put(ctx, rec); err != nil {
		r.t.Fatal(err)
	}
	if opts.Code == "" {
		opts.Code = "binary test"
	}
	rn := &runner.Runner{Flow: r.def, Graph: r.g, Store: r.store, Opts: runner.Options{InProcess: true, MaxWorkers: 4, Cache: opts}}
	return rn.Run(ctx, id, nil)
}

// run runs the flow, which must succeed, and returns the run id.
func (r *cacheRig) run(n int, opts runner.CacheOptions) string {
	r.t.Helper()
	r.runs++
	id := fmt.Sprintf("run%d", r.runs)
	if err := r.runAs(id, n, opts); err != nil {
		r.t.Fatalf("run %s: %v", id, err)
	}
	return id
}

func (r *cacheRig) attempt(run, step, task string) datastore.Attempt {
	r.t.Helper()
	a, err := r.store.Attempts().Latest(context.Background(), run, step, task)
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

// checkCounts compares the steps' runs since the last check with want.
func (r *cacheRig) checkCounts(what string, want map[string]int) {
	r.t.Helper()
	got := r.world.take()
	maps.DeleteFunc(got, func(_ string, n int) bool { return n == 0 })
	maps.DeleteFunc(want, func(_ string, n int) bool { return n == 0 })
	if !maps.Equal(got, want) {
		r.t.Errorf("%s: the steps ran %v times; want %v", what, got, want)
	}
}

var allRan = map[string]int{"start": 1, "upper": 3, "join": 1, "mid": 1, "last": 1, "end": 1}

func TestCacheSecondRunRunsNoCachedStep(t *testing.T) {
	r := newCacheRig(t)
	first := r.run(1, runner.CacheOptions{})
	r.checkCounts("first run", allRan)
	second := r.run(1, runner.CacheOptions{})
	r.checkCounts("second run", map[string]int{"start": 1, "mid": 1})

	for _, st := range []struct{ step, task string }{{"upper", "0"}, {"upper", "1"}, {"upper", "2"}, {"join", "0"}, {"last", "0"}, {"end", "0"}} {
		a, b := r.attempt(first, st.step, st.task), r.attempt(second, st.step, st.task)
		if b.CachedFrom != fmt.Sprintf("%s/%s/%s/0", first, st.step, st.task) {
			t.Errorf("%s/%s: cached from %q; want the first run's attempt", st.step, st.task, b.CachedFrom)
		}
		if a.CacheKey == "" || a.CacheKey != b.CacheKey {
			t.Errorf("%s/%s: keys %q and %q; want one key", st.step, st.task, a.CacheKey, b.CacheKey)
		}
		if !maps.Equal(a.Artifacts, b.Artifacts) || a.Card != b.Card {
			t.Errorf("%s/%s: artifacts %v, card %q; the first run's %v, %q", st.step, st.task, b.Artifacts, b.Card, a.Artifacts, a.Card)
		}
		if b.Run != second || b.Origin != "" {
			t.Errorf("%s/%s: run %q, origin %q; want %q and no resume origin", st.step, st.task, b.Run, b.Origin, second)
		}
	}
	if in := r.attempt(second, "last", "0").Inputs; !slices.Equal(in, []string{second + "/mid/0"}) {
		t.Errorf("a hit's inputs are %v; want its own run's", in)
	}
	if a := r.attempt(second, "mid", "0"); a.CacheKey != "" || a.CachedFrom != "" {
		t.Errorf("the uncached step has key %q, cached from %q", a.CacheKey, a.CachedFrom)
	}
	idx, err := r.store.Attempts().Index(context.Background(), second)
	if err != nil {
		t.Fatal(err)
	}
	cached := 0
	for _, e := range idx {
		if e.CachedRun == first && e.OriginRun == "" {
			cached++
		}
	}
	if cached != 6 {
		t.Errorf("the second run's index has %d cached entries from %s; want 6: %+v", cached, first, idx)
	}
}

func TestCacheRerunsExactlyWhatChanged(t *testing.T) {
	r := newCacheRig(t)
	r.run(1, runner.CacheOptions{})
	r.checkCounts("first run", allRan)

	// mid is not cached: a new Noise reaches last and end only.
	r.world.noise = 7
	id := r.run(1, runner.CacheOptions{})
	r.checkCounts("a new artifact upstream of last", map[string]int{"start": 1, "mid": 1, "last": 1, "end": 1})
	if got := r.attempt(id, "last", "0"); got.CachedFrom != "" {
		t.Errorf("last was cached from %s after its input changed", got.CachedFrom)
	}

	// One word changed: one upper task, and the steps after the join.
	r.world.words = []string{"alpha", "BETA!", "gamma"}
	id = r.run(1, runner.CacheOptions{})
	r.checkCounts("one item changed", map[string]int{"start": 1, "upper": 1, "join": 1, "mid": 1, "last": 1, "end": 1})
	if a := r.attempt(id, "upper", "1"); a.CachedFrom != "" {
		t.Errorf("upper/1 (its item changed) was cached from %s", a.CachedFrom)
	}
	for _, task := range []string{"0", "2"} {
		if a := r.attempt(id, "upper", task); a.CachedFrom == "" {
			t.Errorf("upper/%s (its item unchanged) ran again", task)
		}
	}
	if got := fmt.Sprint(r.attempt(id, "join", "0").Artifacts["Uppers"].Hash == ""); got != "false" {
		t.Errorf("join has no Uppers")
	}

	// A parameter is an artifact every task inherits: every cached step
	// runs again.
	r.run(2, runner.CacheOptions{})
	r.checkCounts("a new parameter", allRan)
	r.run(2, runner.CacheOptions{})
	r.checkCounts("the new parameter again", map[string]int{"start": 1, "mid": 1})
}

func TestCacheFlags(t *testing.T) {
	r := newCacheRig(t)
	first := r.run(1, runner.CacheOptions{})
	r.checkCounts("first run", allRan)
	none := r.run(1, runner.CacheOptions{Off: true})
	r.checkCounts("--no-cache", allRan)
	if a := r.attempt(none, "end", "0"); a.CacheKey != "" || a.CachedFrom != "" {
		t.Errorf("--no-cache: end has key %q, cached from %q", a.CacheKey, a.CachedFrom)
	}
	id := r.run(1, runner.CacheOptions{Refresh: map[string]bool{"upper": true}})
	r.checkCounts("--refresh-cache upper", map[string]int{"start": 1, "upper": 3, "mid": 1})
	e, err := r.store.Cache().Get(context.Background(), r.attempt(id, "upper", "1").CacheKey)
	if err != nil || e.Run != id {
		t.Errorf("after --refresh-cache upper, upper/1's entry is %+v, %v; want the refreshing run %s's", e, err, id)
	}
	// A new code identity (a rebuilt binary) misses every step without a
	// version; join's version keeps its entry.
	r.run(1, runner.CacheOptions{Code: "binary rebuilt"})
	r.checkCounts("a rebuilt binary", map[string]int{"start": 1, "upper": 3, "mid": 1, "last": 1, "end": 1})
	_ = first
}

func TestCacheNeverStoresAFailure(t *testing.T) {
	r := newCacheRig(t)
	r.world.fail = true
	if err := r.runAs("failed", 1, runner.CacheOptions{}); err == nil {
		t.Fatal("the run with a failing last step succeeded")
	}
	r.checkCounts("failing run", map[string]int{"start": 1, "upper": 3, "join": 1, "mid": 1, "last": 1})
	if a := r.attempt("failed", "last", "0"); a.Status != datastore.StatusFailed || a.CacheKey == "" {
		t.Fatalf("last: status %s, key %q; want a failed attempt with its key", a.Status, a.CacheKey)
	} else if _, err := r.store.Cache().Get(context.Background(), a.CacheKey); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("the failed attempt's key has an entry: %v", err)
	}
	r.world.fail = false
	id := r.run(1, runner.CacheOptions{})
	r.checkCounts("after the failure", map[string]int{"start": 1, "mid": 1, "last": 1, "end": 1})
	if a := r.attempt(id, "last", "0"); a.Status != datastore.StatusSucceeded || a.CachedFrom != "" {
		t.Errorf("last after a failure: status %s, cached from %q; want it run", a.Status, a.CachedFrom)
	}
}

func TestCacheDamagedBlobRuns(t *testing.T) {
	r := newCacheRig(t)
	first := r.run(1, runner.CacheOptions{})
	r.checkCounts("first run", allRan)
	ref := r.attempt(first, "upper", "1").Artifacts["Upper"]
	path := filepath.Join(r.root, r.def.Name, "blobs", ref.Hash[:2], ref.Hash)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	id := r.run(1, runner.CacheOptions{})
	r.checkCounts("a damaged blob", map[string]int{"start": 1, "upper": 1, "mid": 1})
	if a := r.attempt(id, "upper", "1"); a.CachedFrom != "" {
		t.Errorf("upper/1, whose blob is damaged, was cached from %s", a.CachedFrom)
	}
	if err := r.store.Blobs().Verify(context.Background(), ref.Hash); err != nil {
		t.Errorf("the task that ran again did not mend the blob: %v", err)
	}
}

func TestCacheConcurrentRuns(t *testing.T) {
	r := newCacheRig(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = r.runAs(fmt.Sprintf("both%d", i), 1, runner.CacheOptions{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d of two at once: %v", i, err)
		}
	}
	got := r.world.take()
	if got["end"] < 1 || got["end"] > 2 {
		t.Errorf("two runs at once ran end %d times", got["end"])
	}
	key := r.attempt("both0", "end", "0").CacheKey
	e, err := r.store.Cache().Get(context.Background(), key)
	if err != nil || (e.Run != "both0" && e.Run != "both1") {
		t.Fatalf("the entry of end is %+v, %v; want one of the two runs'", e, err)
	}
	r.run(1, runner.CacheOptions{})
	r.checkCounts("after two runs at once", map[string]int{"start": 1, "mid": 1})
}
