package deploy_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/awstest"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/trigger"
	"github.com/stepflow/stepflow/internal/usage"
)

// triggeredGraph is TestFlow with the triggers given.
func triggeredGraph(t *testing.T, triggers func(b *stepflow.Flow[testFlow]) *stepflow.Flow[testFlow]) *graph.Graph {
	t.Helper()
	b := stepflow.New[testFlow]("TestFlow").
		Param("name", "world", "who").
		Step("start", (*testFlow).step, stepflow.Next("end")).
		Step("end", (*testFlow).step)
	g, err := graph.New(flow.MustDefinitionOf(triggers(b)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func twoTriggers(b *stepflow.Flow[testFlow]) *stepflow.Flow[testFlow] {
	return b.Trigger(stepflow.OnEvent("data.ready", stepflow.Map("name", "detail.who"))).
		TriggerOnFinish("Ingest", stepflow.OnlyOnSuccess(), stepflow.Map("name", "pathspec"))
}

// The rules of a flow's triggers are created, unchanged on a second
// create (no write at all), updated in place when a mapping changes,
// deleted when their trigger goes, and deleted with the flow.
func TestCreateRules(t *testing.T) {
	e := setup(t, false)
	e.opts.Graph = triggeredGraph(t, twoTriggers)
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	want := []string{"batch registerjobdefinition", "sfn CreateStateMachine", "events PutRule", "events PutTargets", "events PutRule", "events PutTargets"}
	if got := e.f.Writes(); !slices.Equal(got, want) {
		t.Errorf("first deploy wrote %q, want %q", got, want)
	}
	machineArn := e.f.Machine("TestFlow").Arn
	rules := e.f.Rules()
	if len(rules) != 2 {
		t.Fatalf("rules %q, want 2", rules)
	}
	byEvent := map[string]*awstest.Rule{}
	for _, name := range rules {
		if !strings.HasPrefix(name, "TestFlow.") {
			t.Errorf("rule %s is not named after its state machine", name)
		}
		r := e.f.Rule(name)
		var p struct {
			Source []string `json:"source"`
		}
		if err := json.Unmarshal([]byte(r.EventPattern), &p); err != nil {
			t.Fatal(err)
		}
		byEvent[p.Source[0]] = r
		if !strings.Contains(e.out.String(), "event rule "+name+": created") {
			t.Errorf("output lacks the creation of %s:\n%s", name, e.out)
		}
		if len(r.Targets) != 1 {
			t.Fatalf("rule %s has targets %+v", name, r.Targets)
		}
		tg := r.Targets[0]
		if aws.ToString(tg.Arn) != machineArn || aws.ToString(tg.RoleArn) != e.opts.Settings.SchedulerRole || tg.InputTransformer == nil {
			t.Errorf("rule %s: target %+v, want the state machine through the scheduler role with an input transformer", name, tg)
		}
	}
	user, finish := byEvent[trigger.Source], byEvent[trigger.FinishSource]
	if user == nil || finish == nil {
		t.Fatalf("rules by source: %v", byEvent)
	}
	if want := `"stateMachineArn":["arn:aws:states:us-east-1:123456789012:stateMachine:Ingest"]`; !strings.Contains(finish.EventPattern, want) {
		t.Errorf("finish rule pattern %s lacks %s", finish.EventPattern, want)
	}
	// The deployed transformer, applied as EventBridge does, starts the
	// flow with the mapped parameter.
	it := user.Targets[0].InputTransformer
	in, err := trigger.Rule{InputPathsMap: it.InputPathsMap, InputTemplate: aws.ToString(it.InputTemplate)}.Start(
		[]byte(`{"id":"ev-1","source":"stepflow","detail-type":"data.ready","detail":{"who":"ada"}}`))
	if err != nil || in.Parameters["name"] != "ada" || in.Trigger["id"] != "ev-1" || in.Trigger["type"] != "event" {
		t.Errorf("the deployed transformer gives %+v, %v", in, err)
	}

	// Unchanged: reads only.
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if got := e.f.Writes(); len(got) != 0 {
		t.Errorf("second deploy wrote %q, want nothing", got)
	}
	if n := strings.Count(e.out.String(), ": unchanged ("); n != 2 {
		t.Errorf("second deploy output:\n%s", e.out)
	}

	// A changed mapping: the same rule, its target updated.
	e.opts.Graph = triggeredGraph(t, func(b *stepflow.Flow[testFlow]) *stepflow.Flow[testFlow] {
		return b.Trigger(stepflow.OnEvent("data.ready", stepflow.Map("name", "detail.name"))).
			TriggerOnFinish("Ingest", stepflow.OnlyOnSuccess(), stepflow.Map("name", "pathspec"))
	})
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if got, want := e.f.Writes(), []string{"events PutTargets"}; !slices.Equal(got, want) {
		t.Errorf("changed mapping wrote %q, want %q", got, want)
	}
	if got := e.f.Rules(); !slices.Equal(got, rules) {
		t.Errorf("rules %q after a changed mapping, want the same %q", got, rules)
	}
	if got := e.f.Rule(user.Name).Targets[0].InputTransformer.InputPathsMap["p0"]; got != "$.detail.name" {
		t.Errorf("the updated target maps $.%s", got)
	}

	// A trigger removed: its rule goes, targets first.
	e.opts.Graph = triggeredGraph(t, func(b *stepflow.Flow[testFlow]) *stepflow.Flow[testFlow] {
		return b.Trigger(stepflow.OnEvent("data.ready", stepflow.Map("name", "detail.name")))
	})
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if got, want := e.f.Writes(), []string{"events RemoveTargets", "events DeleteRule"}; !slices.Equal(got, want) {
		t.Errorf("removed trigger wrote %q, want %q", got, want)
	}
	if got := e.f.Rules(); !slices.Equal(got, []string{user.Name}) {
		t.Errorf("rules %q, want only %s", got, user.Name)
	}
	if !strings.Contains(e.out.String(), "event rule "+finish.Name+": deleted") {
		t.Errorf("output:\n%s", e.out)
	}

	// A rule of another state machine whose name starts alike is not
	// this flow's.
	e.f.Reset()
	ops := e.ops()
	e.opts.Graph = triggeredGraph(t, twoTriggers)
	e.opts.Settings.Branch = "b"
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	other := e.f.Rules()
	did, err := ops.Delete(context.Background(), false, "alice", "", e.opts.TokenDir, "TestFlow")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(did, "event rule "+user.Name+": deleted") {
		t.Errorf("delete did %q", did)
	}
	for _, name := range e.f.Rules() {
		if strings.HasPrefix(name, "TestFlow.") {
			t.Errorf("rule %s left after delete", name)
		}
	}
	if got := len(e.f.Rules()); got != 2 || len(other) != 3 {
		t.Errorf("the branch's rules: %d left of %q, want its 2", got, other)
	}
}

// Create needs the role EventBridge starts runs with.
func TestCreateRulesNeedsRole(t *testing.T) {
	e := setup(t, false)
	e.opts.Graph = triggeredGraph(t, twoTriggers)
	e.opts.Settings.SchedulerRole = ""
	err := e.create(t)
	if !usage.Is(err) || !strings.Contains(err.Error(), "scheduler-role") || !strings.Contains(err.Error(), "triggered runs") {
		t.Errorf("create without a role: %v", err)
	}
	if w := e.f.Writes(); len(w) != 0 {
		t.Errorf("wrote %q", w)
	}
}

// AccessDenied on any EventBridge call is the user's to fix, names the
// action and points to docs/iam.md.
func TestCreateRulesAccessDenied(t *testing.T) {
	for _, op := range []string{"ListRules", "PutRule", "PutTargets"} {
		t.Run(op, func(t *testing.T) {
			e := setup(t, false)
			e.opts.Graph = triggeredGraph(t, twoTriggers)
			e.f.Fail(op, "AccessDeniedException", 1)
			err := e.create(t)
			if !usage.Is(err) || !strings.Contains(err.Error(), "access denied") || !strings.Contains(err.Error(), "docs/iam.md") {
				t.Errorf("create with %s denied: %v", op, err)
			}
		})
	}
	// Delete denied: the state machine stays, so the rules can be
	// deleted again.
	e := setup(t, false)
	e.opts.Graph = triggeredGraph(t, twoTriggers)
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	e.f.Fail("DeleteRule", "AccessDeniedException", 1)
	ops := e.ops()
	if _, err := ops.Delete(context.Background(), false, "alice", "", e.opts.TokenDir, "TestFlow"); !usage.Is(err) || !strings.Contains(err.Error(), "delete event rule") {
		t.Errorf("delete with DeleteRule denied: %v", err)
	}
	if e.f.Machine("TestFlow") == nil {
		t.Error("the state machine was deleted although its rules were not")
	}
}

// Rule names fit EventBridge's 64 characters and stay distinct for long
// state machine names.
func TestRuleNames(t *testing.T) {
	long := strings.Repeat("a", 80)
	tr := &flow.Trigger{Kind: flow.OnEvent, Event: "x"}
	a, b := deploy.RuleName(long, tr), deploy.RuleName(long[:79]+"b", tr)
	if len(a) > 64 || a == b || !strings.HasPrefix(a, deploy.RulePrefix(long)) {
		t.Errorf("rule names %s %s", a, b)
	}
	if deploy.RuleName("A", tr) == deploy.RuleName("A", &flow.Trigger{Kind: flow.OnEvent, Event: "y"}) {
		t.Error("two triggers share a rule name")
	}
}

// A finish trigger listens to the upstream deployed in this flow's
// project and branch unless InProject or InBranch say otherwise;
// InProject("") is an upstream that has no project, and its rule is named
// apart from the default's.
func TestUpstreamMachine(t *testing.T) {
	f := &flow.Flow{Name: "Down", Project: "proj"}
	s := statemachine.Settings{Branch: "b"}
	finish := func(opts ...stepflow.FinishOption) *flow.Trigger {
		g := stepflow.New[testFlow]("Down").Project("proj").Param("name", "world", "who").
			Step("start", (*testFlow).step, stepflow.Next("end")).Step("end", (*testFlow).step).
			TriggerOnFinish("Up", opts...)
		return flow.MustDefinitionOf(g).Triggers[0]
	}
	for _, tc := range []struct {
		t    *flow.Trigger
		want string
	}{
		{finish(), "proj-b-Up"},
		{finish(stepflow.InProject("other")), "other-b-Up"},
		{finish(stepflow.InProject("")), "b-Up"},
		{finish(stepflow.InProject(""), stepflow.InBranch("main")), "main-Up"},
	} {
		if got := deploy.UpstreamMachine(f, tc.t, s); got != tc.want {
			t.Errorf("UpstreamMachine(%+v) = %q, want %q", *tc.t, got, tc.want)
		}
	}
	if a, b := deploy.RuleName("m", finish()), deploy.RuleName("m", finish(stepflow.InProject(""))); a == b {
		t.Errorf("the rules of the default project and of no project are both named %s", a)
	}
}

// A flow with an exit hook gets one rule more, <machine>.hook: the
// state machine's own failed executions start it again with the hook's
// input (trigger.HookRule), through the scheduler role, which create
// then needs; the rule goes when the hook goes.
func TestCreateHookRule(t *testing.T) {
	hooked := func(b *stepflow.Flow[testFlow]) *stepflow.Flow[testFlow] {
		return b.OnFinish(func(*stepflow.Context, *stepflow.Finished[testFlow]) error { return nil })
	}
	e := setup(t, false)
	e.opts.Graph = triggeredGraph(t, hooked)
	role := e.opts.Settings.SchedulerRole
	e.opts.Settings.SchedulerRole = ""
	if err := e.create(t); !usage.Is(err) || !strings.Contains(err.Error(), "scheduler-role") || !strings.Contains(err.Error(), "exit hook") {
		t.Errorf("create without a role: %v", err)
	}
	e.opts.Settings.SchedulerRole = role
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	machineArn := e.f.Machine("TestFlow").Arn
	if got := e.f.Rules(); !slices.Equal(got, []string{"TestFlow.hook"}) {
		t.Fatalf("rules %q, want TestFlow.hook", got)
	}
	r, want := e.f.Rule("TestFlow.hook"), trigger.HookRule(machineArn)
	if r.EventPattern != want.Pattern || len(r.Targets) != 1 || aws.ToString(r.Targets[0].Arn) != machineArn || aws.ToString(r.Targets[0].RoleArn) != role ||
		aws.ToString(r.Targets[0].InputTransformer.InputTemplate) != want.InputTemplate {
		t.Errorf("hook rule %+v, targets %+v; want pattern %s to the state machine with the role", r, r.Targets, want.Pattern)
	}
	e.opts.Graph = triggeredGraph(t, func(b *stepflow.Flow[testFlow]) *stepflow.Flow[testFlow] { return b })
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if got := e.f.Rules(); len(got) != 0 {
		t.Errorf("rules %q after the hook went", got)
	}
}

// StartHook (step-functions hook RUN) runs the exit hook of a run that
// ended, with the input the hook's rule gives: a run that failed is told
// FAILED; a run still running is refused, with nothing started.
func TestStartHook(t *testing.T) {
	e := setup(t, false)
	e.opts.Graph = triggeredGraph(t, func(b *stepflow.Flow[testFlow]) *stepflow.Flow[testFlow] {
		return b.OnFinish(func(*stepflow.Context, *stepflow.Finished[testFlow]) error { return nil })
	})
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ops := e.ops()
	run, err := ops.Trigger(ctx, nil, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ops.StartHook(ctx, run); !usage.Is(err) || !strings.Contains(err.Error(), "is RUNNING: its exit hook runs once it ends") {
		t.Errorf("hook of a running run: %v", err)
	}
	if err := e.f.Finish(strings.TrimPrefix(run, "sfn-"), "FAILED", time.Minute); err != nil {
		t.Fatal(err)
	}
	hook, err := ops.StartHook(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Hook":{"RunId":"` + run + `","Status":"FAILED"},"Trigger":{"id":"step-functions hook","run":"` + run + `","status":"FAILED","type":"hook"}}`
	if ex := e.f.Execution(strings.TrimPrefix(hook, "sfn-")); ex == nil || ex.Input != want {
		t.Errorf("hook execution %+v, want input %s", ex, want)
	}
	if _, err := ops.StartHook(ctx, "sfn-nope"); !usage.Is(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("hook of an unknown run: %v", err)
	}
}
