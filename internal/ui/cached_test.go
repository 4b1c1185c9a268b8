package ui_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// TestCachedTasks: a run whose train tasks were found in the step cache
// draws train as cached (not reused by resume), says so on the task's page
// with the task it came from and the key, and marks its bars in the
// timeline as cached (4).
func TestCachedTasks(t *testing.T) {
	root := filepath.Join(t.TempDir(), "ds")
	f := newFixture(t, root)
	ok := datastore.StatusSucceeded
	b := t0
	f.run(t, "r-first", b, "")
	f.task(t, "r-first", "start", "0", 0, ok, b, b.Add(time.Second), map[string]any{"Shards": shards}, "", "")
	for i, sh := range shards {
		f.task(t, "r-first", "train", fmt.Sprint(i), 0, ok, b.Add(time.Second), b.Add(2*time.Second), map[string]any{"Shard": sh, "Score": 0.9}, "training "+sh+"\n", "")
	}
	f.end(t, "r-first", datastore.StatusFailed, b.Add(3*time.Second))

	ctx := context.Background()
	c2 := b.Add(time.Hour)
	f.run(t, "r-cached", c2, "")
	f.task(t, "r-cached", "start", "0", 0, ok, c2, c2.Add(time.Second), map[string]any{"Shards": shards}, "", "")
	key := strings.Repeat("7", 64)
	for i := range shards {
		a, err := f.s.Attempts().Get(ctx, "r-first", "train", fmt.Sprint(i), 0)
		if err != nil {
			t.Fatal(err)
		}
		a.Run, a.CachedFrom, a.CacheKey = "r-cached", fmt.Sprintf("r-first/train/%d/0", i), key
		a.Start, a.End = c2.Add(time.Second), c2.Add(time.Second)
		if err := f.s.Attempts().Put(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	f.end(t, "r-cached", datastore.StatusFailed, c2.Add(2*time.Second))
	ts := serveRoot(t, root)
	u := ts.URL

	run := page(t, u+"/flows/TrainFlow/runs/r-cached")
	contains(t, "cached run", run, `class="sf-node k-linear s-cached" data-step="train"`, "3/3 cached")
	if strings.Contains(run, `s-reused" data-step="train"`) {
		t.Error("cached tasks drawn as reused by resume")
	}
	first := page(t, u+"/flows/TrainFlow/runs/r-first")
	contains(t, "first run", first, `class="sf-node k-linear s-succeeded" data-step="train"`)

	task := page(t, u+"/flows/TrainFlow/runs/r-cached/steps/train/tasks/1")
	contains(t, "cached task", task, `found in the step cache, from <a href="/flows/TrainFlow/runs/r-first/steps/train/tasks/1">r-first/train/1</a>`, key)
	step := page(t, u+"/flows/TrainFlow/runs/r-cached/steps/train")
	contains(t, "step", step, `<span class="tag">cached</span>`)

	var tl struct {
		Steps []struct {
			Name string
			Bars [][5]int64
		}
	}
	getJSON(t, u+"/api/flows/TrainFlow/runs/r-cached/timeline", &tl)
	found := 0
	for _, st := range tl.Steps {
		for _, bar := range st.Bars {
			if st.Name == "train" && bar[2] == 4 {
				found++
			}
		}
	}
	if found != 3 {
		t.Errorf("timeline: %d cached bars of train; want 3: %+v", found, tl)
	}
	var api struct {
		CachedFrom string `json:"cached_from"`
		CacheKey   string `json:"cache_key"`
	}
	getJSON(t, u+"/api/flows/TrainFlow/runs/r-cached/steps/train/tasks/2", &api)
	if api.CachedFrom != "r-first/train/2" || api.CacheKey != key {
		t.Errorf("task API: %+v", api)
	}
}
