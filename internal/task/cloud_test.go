package task_test

import (
	"context"
	"reflect"
	"slices"
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
	h, err := ex.Store.PutBlob(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ex.Run(ctx, task.Spec{RunID: "sfn-a", Step: "start", Params: map[string]string{},
		Configs: map[string]string{"settings": h}, Tags: []string{"production:cloudflow-x1", "team"}})
	if err != nil || rec.Status != datastore.StatusSucceeded {
		t.Fatalf("start: %+v %v", rec, err)
	}
	run, end, err := ex.Store.Run(ctx, "sfn-a")
	if err != nil {
		t.Fatal(err)
	}
	if run.Runtime != "step-functions" || run.Configs["settings"] != h || !slices.Equal(run.Tags, []string{"team", "production:cloudflow-x1"}) || end != nil {
		t.Errorf("run record %+v, end %+v", run, end)
	}
	var greeting string
	ref := rec.Artifacts["Greeting"]
	if err := task.DecodeArtifact(ctx, ex.Store, ref, reflect.ValueOf(&greeting)); err != nil || greeting != ">> hello" || ref.Encoding != "binary" {
		t.Errorf("Greeting = %q (%s), %v", greeting, ref.Encoding, err)
	}

	// A deployment that froze no value for a config is refused (exit 2),
	// not run with the zero value.
	_, err = ex.Run(ctx, task.Spec{RunID: "sfn-b", Step: "start", Params: map[string]string{}})
	if !usage.Is(err) {
		t.Errorf("no configs: %v", err)
	}
	if _, _, err := ex.Store.Run(ctx, "sfn-b"); !datastore.IsNotFound(err) {
		t.Errorf("a run record was written without its configs: %v", err)
	}
}

// EndRun records the end of the run after a successful end task only.
func TestEndRun(t *testing.T) {
	ex := cloudExecutor(t)
	ctx := context.Background()
	data, _, _ := artifact.Encode(reflect.ValueOf(cloudCfg{}))
	h, _ := ex.Store.PutBlob(ctx, data)
	start, err := ex.Run(ctx, task.Spec{RunID: "sfn-a", Step: "start", Params: map[string]string{}, Configs: map[string]string{"settings": h}})
	if err != nil {
		t.Fatal(err)
	}
	failedEnd := &datastore.Attempt{Run: "sfn-a", Step: "end", Task: "0", Status: datastore.StatusFailed}
	for _, rec := range []*datastore.Attempt{nil, start, failedEnd} {
		if err := ex.EndRun(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if _, end, _ := ex.Store.Run(ctx, "sfn-a"); end != nil {
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
	_, end, err := ex.Store.Run(ctx, "sfn-a")
	if err != nil || end == nil || end.Status != datastore.StatusSucceeded || !end.End.Equal(rec.End.UTC()) {
		t.Errorf("end record %+v, %v; end task ended %v", end, err, rec.End)
	}
}
