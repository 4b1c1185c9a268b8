package e2e_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/task"
)

// cacheflow has two cached steps between start and end.
const cacheflow = module + "/internal/aws/e2e/testdata/cacheflow"

// jobsByStep counts an execution's Batch jobs by step.
func jobsByStep(e *execution) map[string]int {
	out := map[string]int{}
	for _, j := range e.Jobs {
		out[j.Step]++
	}
	return out
}

// TestStepCache: on one deployment, a second execution with the same
// inputs launches no Batch job for the cached steps (the state machine
// finds them in the step cache, the foreach body's item by item) and gives
// the same artifacts; the next task records the hits in the datastore; a
// lost blob is found by the next task, which drops the entry; one changed
// item runs one body task; a new parameter runs every step again. The
// executions share one stack and one compiled state machine.
func TestStepCache(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, cacheflow)
	// The body in a Map, not array jobs: the state machine decides its
	// items' hits.
	def := w.compile(t, fp, "--no-array-jobs")
	cost := recordTransitions(t)
	cloud := w.store(fp)
	ctx := context.Background()
	run := func(t *testing.T, input any, wantJobs map[string]int) *execution {
		t.Helper()
		e := w.execute(t, def, input, execOpts{})
		if e.Status != "SUCCEEDED" {
			t.Fatalf("execution %s: %s: %.2000s\n%s", e.Status, e.Error, e.Cause, e.failedJobs())
		}
		if got := jobsByStep(e); !maps.Equal(got, wantJobs) {
			t.Fatalf("Batch jobs by step: %v; want %v", got, wantJobs)
		}
		return e
	}
	attempt := func(t *testing.T, run, step string) datastore.Attempt {
		t.Helper()
		a, err := cloud.Attempts().Latest(ctx, run, step, "0")
		if err != nil {
			t.Fatalf("%s/%s/0: %v", run, step, err)
		}
		return a
	}

	var first *execution
	if !t.Run("uncached", func(t *testing.T) {
		first = run(t, map[string]any{}, map[string]int{"start": 1, "prep": 1, "train": 1, "fan": 1, "score": 3, "gather": 1, "end": 1})
		cost.add(t, "cacheflow/uncached", fp, def, first)
		for _, step := range []string{"prep", "train"} {
			a := attempt(t, first.runID(), step)
			if a.CacheKey == "" || a.CachedFrom != "" {
				t.Errorf("%s: key %q, cached from %q; want a key, and no hit", step, a.CacheKey, a.CachedFrom)
			}
			item, err := w.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
				Key: map[string]ddbtypes.AttributeValue{"pathspec": &ddbtypes.AttributeValueMemberS{Value: "cache:" + a.CacheKey}}})
			if err != nil {
				t.Fatal(err)
			}
			from, _ := item.Item["from"].(*ddbtypes.AttributeValueMemberS)
			if want := fmt.Sprintf("%s/%s/0/%d", first.runID(), step, a.Attempt); from == nil || from.Value != want {
				t.Errorf("%s: the cache item is %v; want it to name %s", step, item.Item, want)
			}
		}
	}) {
		return
	}

	t.Run("cached", func(t *testing.T) {
		e := run(t, map[string]any{}, map[string]int{"start": 1, "fan": 1, "gather": 1, "end": 1})
		cost.add(t, "cacheflow/cached", fp, def, e)
		for _, step := range []string{"prep", "train", "end"} {
			a, b := attempt(t, first.runID(), step), attempt(t, e.runID(), step)
			if !maps.Equal(a.Artifacts, b.Artifacts) {
				t.Errorf("%s: artifacts %v; the first execution's %v", step, b.Artifacts, a.Artifacts)
			}
			if step == "end" {
				continue
			}
			if want := fmt.Sprintf("%s/%s/0/%d", first.runID(), step, a.Attempt); b.CachedFrom != want || b.CacheKey != a.CacheKey {
				t.Errorf("%s: cached from %q with key %q; want %s and %q", step, b.CachedFrom, b.CacheKey, want, a.CacheKey)
			}
			if want := e.runID() + "/" + map[string]string{"prep": "start", "train": "prep"}[step] + "/0"; len(b.Inputs) != 1 || b.Inputs[0] != want {
				t.Errorf("%s: inputs %v; want [%s]", step, b.Inputs, want)
			}
		}
		for i := range 3 {
			task := fmt.Sprint(i)
			a, err := cloud.Attempts().Latest(ctx, first.runID(), "score", task)
			if err != nil {
				t.Fatal(err)
			}
			b, err := cloud.Attempts().Latest(ctx, e.runID(), "score", task)
			if err != nil {
				t.Fatalf("score/%s was not recorded: %v", task, err)
			}
			if want := fmt.Sprintf("%s/score/%s/%d", first.runID(), task, a.Attempt); b.CachedFrom != want || b.CacheKey != a.CacheKey || len(b.Indices) != 1 || b.Indices[0] != i {
				t.Errorf("score/%s: cached from %q, key %q, indices %v; want %s, %q, [%d]", task, b.CachedFrom, b.CacheKey, b.Indices, want, a.CacheKey, i)
			}
			if !maps.Equal(a.Artifacts, b.Artifacts) {
				t.Errorf("score/%s: artifacts %v; the first execution's %v", task, b.Artifacts, a.Artifacts)
			}
		}
		if _, end, err := cloud.Runs().Get(ctx, e.runID()); err != nil || end == nil || end.Status != datastore.StatusSucceeded {
			t.Errorf("the cached run's end: %+v, %v", end, err)
		}
	})

	// A cached attempt whose blob is lost: the state machine cannot tell,
	// so the hit's successor finds it, drops the entry and fails; the next
	// execution runs the step again (and stores the blob again).
	t.Run("lost blob", func(t *testing.T) {
		ref := attempt(t, first.runID(), "train").Artifacts["Model"]
		if err := cloud.Blobs().Remove(ctx, ref.Hash); err != nil {
			t.Fatal(err)
		}
		e := w.execute(t, def, map[string]any{}, execOpts{})
		if failed := e.failedJobs(); e.Status != "FAILED" || !strings.Contains(failed, "has lost its artifact Model") || !strings.Contains(failed, "the entry is dropped") {
			t.Fatalf("execution with a lost cached blob: %s; failed jobs:\n%s", e.Status, failed)
		}
		if got := jobsByStep(e); !maps.Equal(got, map[string]int{"start": 1, "fan": 1}) {
			t.Errorf("Batch jobs by step: %v", got)
		}
		e = run(t, map[string]any{}, map[string]int{"start": 1, "train": 1, "fan": 1, "gather": 1, "end": 1})
		if a := attempt(t, e.runID(), "prep"); a.CachedFrom == "" {
			t.Errorf("prep, whose blobs are whole, ran again")
		}
		if err := cloud.Blobs().Verify(ctx, ref.Hash); err != nil {
			t.Errorf("train ran again but its blob is not back: %v", err)
		}
	})

	// One word changed: prep and train run (they inherit the text), and of
	// the body only the changed item's task: fan clears the text, so the
	// other items' inputs are the same.
	t.Run("one item changed", func(t *testing.T) {
		e := run(t, map[string]any{"Parameters": map[string]string{"text": "a x c"}},
			map[string]int{"start": 1, "prep": 1, "train": 1, "fan": 1, "score": 1, "gather": 1, "end": 1})
		for _, j := range e.Jobs {
			if j.Step == "score" && j.TaskID != "1" {
				t.Errorf("score/%s ran; only score/1's item changed", j.TaskID)
			}
		}
		want := "3 squares: model(1+4+9); A:model(1+4+9) X:model(1+4+9) C:model(1+4+9)"
		if got := summary(t, cloud, e.runID()); got != want {
			t.Errorf("summary %q, want %q", got, want)
		}
	})

	// Two executions storing the same keys at once both succeed, with the
	// same results; a third finds every cached step in the cache.
	t.Run("concurrent", func(t *testing.T) {
		input := map[string]any{"Parameters": map[string]string{"text": "p q"}}
		var runs [2]*execution
		t.Run("both", func(t *testing.T) {
			for i := range runs {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					t.Parallel()
					e := w.execute(t, def, input, execOpts{})
					if e.Status != "SUCCEEDED" {
						t.Fatalf("execution %s: %s: %.2000s\n%s", e.Status, e.Error, e.Cause, e.failedJobs())
					}
					runs[i] = e
				})
			}
		})
		if runs[0] == nil || runs[1] == nil {
			t.FailNow()
		}
		want := "3 squares: model(1+4+9); P:model(1+4+9) Q:model(1+4+9)"
		for _, e := range runs {
			if got := summary(t, cloud, e.runID()); got != want {
				t.Errorf("%s: summary %q, want %q", e.runID(), got, want)
			}
		}
		e := run(t, input, map[string]int{"start": 1, "fan": 1, "gather": 1, "end": 1})
		for _, step := range []string{"prep", "train"} {
			from := attempt(t, e.runID(), step).CachedFrom
			if !strings.HasPrefix(from, runs[0].runID()+"/") && !strings.HasPrefix(from, runs[1].runID()+"/") {
				t.Errorf("%s cached from %q, not from one of the two executions", step, from)
			}
		}
	})

	t.Run("new parameter", func(t *testing.T) {
		e := run(t, map[string]any{"Parameters": map[string]string{"n": "4"}},
			map[string]int{"start": 1, "prep": 1, "train": 1, "fan": 1, "score": 3, "gather": 1, "end": 1})
		if a := attempt(t, e.runID(), "train"); a.CachedFrom != "" {
			t.Errorf("train was cached from %s after n changed", a.CachedFrom)
		}
	})
}

// summary decodes the end task's Summary.
func summary(t *testing.T, s *datastore.Store, run string) string {
	t.Helper()
	a, err := s.Attempts().Latest(context.Background(), run, "end", "0")
	if err != nil {
		t.Fatal(err)
	}
	var v string
	if err := task.DecodeArtifact(context.Background(), s.Blobs(), a.Artifacts["Summary"], reflect.ValueOf(&v)); err != nil {
		t.Fatal(err)
	}
	return v
}
