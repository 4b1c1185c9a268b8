package deploy_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/trigger"
	"github.com/stepflow/stepflow/internal/usage"
)

// step-functions trigger --on-finish-of: a downstream run started as the
// lost finish event of an upstream run would have started it.
func TestOnFinishOf(t *testing.T) {
	ctx := context.Background()
	e := setup(t, false)

	// The upstream flow, deployed and run to its end.
	ingest, err := graph.New(flow.MustDefinitionOf(stepflow.New[testFlow]("Ingest").
		Step("start", (*testFlow).step, stepflow.Next("end")).Step("end", (*testFlow).step)))
	if err != nil {
		t.Fatal(err)
	}
	e.opts.Graph = ingest
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	up := e.ops()
	upRun, err := up.Trigger(ctx, nil, "ada")
	if err != nil {
		t.Fatal(err)
	}
	upstream := "Ingest/" + upRun

	// The downstream flow, with a finish trigger on it (only on success).
	e.opts.Graph = triggeredGraph(t, twoTriggers)
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	down := e.ops()
	f, s := e.opts.Graph.Flow, e.opts.Settings

	refused := func(upstream string, force bool, want string) {
		t.Helper()
		id, err := down.OnFinishOf(ctx, f, s, upstream, force)
		if !usage.Is(err) || !strings.Contains(err.Error(), want) || id != "" {
			t.Errorf("OnFinishOf(%s): %q, %v; want a refusal saying %q", upstream, id, err, want)
		}
	}
	refused(upstream, false, "has not ended (RUNNING)")
	refused("Ingest", false, "write FLOW/RUN")
	refused("Other/"+upRun, false, "has no TriggerOnFinish on Other; it triggers on the finish of Ingest")
	refused("Ingest/sfn-00000000-0000-4000-8000-000000000099", false, "does not exist")

	if err := e.f.Finish(strings.TrimPrefix(upRun, statemachine.RunPrefix), "SUCCEEDED", 0); err != nil {
		t.Fatal(err)
	}
	e.f.Reset()
	id, err := down.OnFinishOf(ctx, f, s, upstream, false)
	if err != nil {
		t.Fatal(err)
	}
	ex := e.f.Execution(strings.TrimPrefix(id, statemachine.RunPrefix))
	if ex == nil || !strings.HasSuffix(ex.MachineArn, ":stateMachine:TestFlow") {
		t.Fatalf("run %s: %+v, want an execution of TestFlow", id, ex)
	}

	// Its input is what the deployed rule's transformer makes of the
	// finish event Step Functions sends (built here from its documented
	// form), but for the event's id.
	var rule string
	for _, name := range e.f.Rules() {
		if strings.Contains(e.f.Rule(name).EventPattern, trigger.FinishSource) {
			rule = name
		}
	}
	it := e.f.Rule(rule).Targets[0].InputTransformer
	upEx := e.f.Execution(strings.TrimPrefix(upRun, statemachine.RunPrefix))
	event, _ := json.Marshal(map[string]any{
		"version": "0", "id": "0d8e1f5c-2b7a-4c1e-9f00-5a1b2c3d4e5f", "detail-type": trigger.FinishDetailType, "source": trigger.FinishSource,
		"account": "123456789012", "region": "us-east-1", "resources": []string{upEx.Arn},
		"detail": map[string]any{"executionArn": upEx.Arn, "stateMachineArn": upEx.MachineArn, "name": upEx.Name, "status": "SUCCEEDED"},
	})
	want, err := trigger.Transform(it.InputPathsMap, aws.ToString(it.InputTemplate), event)
	if err != nil {
		t.Fatal(err)
	}
	var got, wantIn trigger.Input
	if err := json.Unmarshal([]byte(ex.Input), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantIn); err != nil {
		t.Fatal(err)
	}
	wantIn.Trigger["id"] = deploy.CatchUpEventID
	if !reflect.DeepEqual(got, wantIn) {
		t.Errorf("input %+v, want the rule's %+v", got, wantIn)
	}
	if got.Parameters["name"] != upstream || got.Trigger["upstream"] != upstream || got.Trigger["status"] != "SUCCEEDED" {
		t.Errorf("input %+v: not the finish of %s", got, upstream)
	}

	// Caught up once: a second call finds the run (unless --force).
	refused(upstream, false, "started run "+id+" of TestFlow already; give --force")
	if id2, err := down.OnFinishOf(ctx, f, s, upstream, true); err != nil || id2 == "" || id2 == id {
		t.Errorf("--force: %q, %v; want a second run", id2, err)
	}

	// A failed upstream run: the trigger starts only on success.
	failed, err := up.Trigger(ctx, nil, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.f.Finish(strings.TrimPrefix(failed, statemachine.RunPrefix), "FAILED", 0); err != nil {
		t.Fatal(err)
	}
	refused("Ingest/"+failed, false, "ended FAILED, and the trigger of TestFlow starts it only when Ingest succeeds")
}

// A run name that AWS Batch could not carry as a tag value is refused
// before any call, with the rule; a valid one names the execution.
func TestTriggerRunName(t *testing.T) {
	ctx := context.Background()
	e := setup(t, false)
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	ops := e.ops()
	for name, why := range map[string]string{
		"":                      "the run name is empty",
		"nightly(2)":            `has '(' at byte 7`,
		"with space":            "has a space at byte 4",
		"a/b":                   `has '/' at byte 1`,
		"it's":                  `has '\'' at byte 2`,
		strings.Repeat("x", 81): "has 81 characters, over the 80",
	} {
		e.f.Reset()
		err := deploy.CheckRunName(name)
		if !usage.Is(err) || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "a run name is 1 to 80 letters, digits and _ . = + - @") {
			t.Errorf("CheckRunName(%q) = %v; want a refusal saying %q and the rule", name, err, why)
		}
		if name == "" {
			continue // TriggerNamed("") takes a random name
		}
		if _, err := ops.TriggerNamed(ctx, nil, "ada", name); !usage.Is(err) {
			t.Errorf("TriggerNamed(%q): %v", name, err)
		}
		if n := len(e.f.Requests()); n != 0 {
			t.Errorf("TriggerNamed(%q) sent %d requests before refusing", name, n)
		}
	}
	for _, name := range []string{"nightly-2026-12-07", "été_v1.2+rc=3@eu", strings.Repeat("x", 80)} {
		if err := deploy.CheckRunName(name); err != nil {
			t.Errorf("CheckRunName(%q): %v", name, err)
		}
	}
	id, err := ops.TriggerNamed(ctx, nil, "ada", "nightly-2026-12-07")
	if err != nil || id != "sfn-nightly-2026-12-07" || e.f.Execution("nightly-2026-12-07") == nil {
		t.Fatalf("TriggerNamed: %q, %v", id, err)
	}
	// The same name with other parameters: Step Functions refuses it.
	if _, err := ops.TriggerNamed(ctx, map[string]string{"name": "bo"}, "ada", "nightly-2026-12-07"); !usage.Is(err) || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("a second run of the same name: %v", err)
	}
}
