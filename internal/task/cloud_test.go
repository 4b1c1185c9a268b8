package task_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/usage"
)

type cloudCfg struct {
	Prefix string `json:"prefix"`
}

type cloudState struct {
	Settings cloudCfg
	Greeting string
}

func cloudExecutor(t *testing.T) *task.Executor {
	t.Helper()
	f := flow.MustDefinitionOf(stepflow.New[cloudState]("CloudFlow").
		Config("settings", "settings.json", "prefix").
		Step("start", func(s *cloudState, c *stepflow.Context) error {
			s.Greeting = s.Settings.Prefix + "hello"
			return nil
		}, stepflow.Next("end")).
		Step("end", func(s *cloudState, c *stepflow.Context) error { return nil }).
		Tags("team"))

	g, err := graph.New(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &task.Executor{Flow: f, Graph: g, Store: datastore.NewStore(b, f.Name)}
}

// The start task of a cloud run creates the run record with the configs
// frozen into the deployment and the production tag, and its state gets
// the config's value.
func TestCloudRunRecord(t *testing.T) {
	ex := cloudExecutor(t)
	ctx := context.Background()
	data, _, err := artifact.Encode(reflect.ValueOf(cloudCfg{Prefix: ">> "}))
	if err != nil {
		t.Fatal(err)
	}
	h, err := ex.Store.Blobs().Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ex.Run(ctx, task.Spec{RunID: "sfn-a", Step: "start", Params: map[string]string{},
		Configs: map[string]string{"settings": h}, Tags: []string{"production:cloudflow-x1", "team"}})
	if err != nil || rec.Status != datastore.StatusSucceeded {
		t.Fatalf("start: %+v %v", rec, err)
	}
	run, end, err := ex.Store.Runs().Get(ctx, "sfn-a")
	if err != nil {
		t.Fatal(err)
	}
	if run.Runtime != "step-functions" || run.Configs["settings"] != h || !slices.Equal(run.Tags, []string{"team", "production:cloudflow-x1"}) || end != nil {
		t.Errorf("run record %+v, end %+v", run, end)
	}
	var greeting string
	ref := rec.Artifacts["Greeting"]
	if err := task.DecodeArtifact(ctx, ex.Store.Blobs(), ref, reflect.ValueOf(&greeting)); err != nil || greeting != ">> hello" || ref.Encoding != "binary" {
		t.Errorf("Greeting = %q (%s), %v", greeting, ref.Encoding, err)
	}

	// A deployment that froze no value for a config is refused (exit 2),
	// not run with the zero value.
	_, err = ex.Run(ctx, task.Spec{RunID: "sfn-b", Step: "start", Params: map[string]string{}})
	if !usage.Is(err) {
		t.Errorf("no configs: %v", err)
	}
	if _, _, err := ex.Store.Runs().Get(ctx, "sfn-b"); !datastore.IsNotFound(err) {
		t.Errorf("a run record was written without its configs: %v", err)
	}
}

// EndRun records the end of the run after a successful end task only.
func TestEndRun(t *testing.T) {
	ex := cloudExecutor(t)
	ctx := context.Background()
	data, _, _ := artifact.Encode(reflect.ValueOf(cloudCfg{}))
	h, _ := ex.Store.Blobs().Put(ctx, data)
	start, err := ex.Run(ctx, task.Spec{RunID: "sfn-a", Step: "start", Params: map[string]string{}, Configs: map[string]string{"settings": h}})
	if err != nil {
		t.Fatal(err)
	}
	failedEnd := &datastore.Attempt{Run: "sfn-a", Step: "end", Task: "0", Status: datastore.StatusFailed}
	for _, rec := range []*datastore.Attempt{nil, start, failedEnd} {
		if err := ex.EndRun(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if _, end, _ := ex.Store.Runs().Get(ctx, "sfn-a"); end != nil {
			t.Fatalf("end record after %+v: %+v", rec, end)
		}
	}
	rec, err := ex.Run(ctx, task.Spec{RunID: "sfn-a", Step: "end"})
	if err != nil || rec.Status != datastore.StatusSucceeded {
		t.Fatalf("end: %+v %v", rec, err)
	}
	if err := ex.EndRun(ctx, rec); err != nil {
		t.Fatal(err)
	}
	_, end, err := ex.Store.Runs().Get(ctx, "sfn-a")
	if err != nil || end == nil || end.Status != datastore.StatusSucceeded || !end.End.Equal(rec.End.UTC()) {
		t.Errorf("end record %+v, %v; end task ended %v", end, err, rec.End)
	}
}

type nestedState struct {
	Outer []int
	Inner []int
	N     int
}

// A nested foreach of a Step Functions run (STEPFLOW_FOREACH_LIMIT: one
// INLINE Map of at most 1,000 items) wider than its limit fails its task
// with a message naming the step, the width and the fix; within the limit,
// or without one (a local run), it records its width.
func TestForeachLimit(t *testing.T) {
	f := flow.MustDefinitionOf(stepflow.New[nestedState]("NestedLimitFlow").
		Step("start", func(s *nestedState, c *stepflow.Context) error {
			s.Outer = []int{1}
			return nil
		}, stepflow.Foreach("Outer", "outer")).
		Step("outer", func(s *nestedState, c *stepflow.Context) error {
			s.Inner = make([]int, 3)
			return nil
		}, stepflow.Foreach("Inner", "leaf")).
		Step("leaf", func(s *nestedState, c *stepflow.Context) error { return nil }, stepflow.Next("join_inner")).
		Join("join_inner", func(s *nestedState, c *stepflow.Context, in []*nestedState) error { return nil }, stepflow.Next("join_outer")).
		Join("join_outer", func(s *nestedState, c *stepflow.Context, in []*nestedState) error { return nil }, stepflow.Next("end")).
		Step("end", func(s *nestedState, c *stepflow.Context) error { return nil }))
	g, err := graph.New(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ex := &task.Executor{Flow: f, Graph: g, Store: datastore.NewStore(b, f.Name)}
	if rec, err := ex.Run(ctx, task.Spec{RunID: "sfn-a", Step: "start", Params: map[string]string{}}); err != nil || rec.Status != datastore.StatusSucceeded {
		t.Fatalf("start: %+v %v", rec, err)
	}
	for _, tc := range []struct {
		limit int
		ok    bool
	}{{2, false}, {3, true}, {0, true}} {
		ex.ForeachLimit = tc.limit
		rec, err := ex.Run(ctx, task.Spec{RunID: "sfn-a", Step: "outer", Indices: []int{0}})
		if err != nil {
			t.Fatalf("limit %d: %v", tc.limit, err)
		}
		if tc.ok {
			if rec.Status != datastore.StatusSucceeded || rec.ForeachWidth != 3 {
				t.Errorf("limit %d: %+v", tc.limit, rec)
			}
			continue
		}
		for _, want := range []string{"step outer", "Inner has 3 items", "more than the 2", "--distributed-map"} {
			if rec.Status != datastore.StatusFailed || !strings.Contains(rec.Error, want) {
				t.Errorf("limit %d: status %s, error %q lacks %q", tc.limit, rec.Status, rec.Error, want)
			}
		}
	}
}
