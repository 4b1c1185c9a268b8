package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/stepflow/stepflow/internal/aws/awstest"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/motoproc"
	"github.com/stepflow/stepflow/internal/trigger"
)

// deployedRule is a rule `step-functions create` put on moto's
// EventBridge, with what its state machine target would receive.
type deployedRule struct {
	name    string
	rule    trigger.Rule // the pattern and input transformer deployed
	machine string       // the target: the state machine's ARN
	events  string       // log group receiving the matched events
	inputs  string       // log group receiving moto's transformed input
}

// TestTriggers runs both kinds of trigger of ParamsFlow end to end:
//
//   - `step-functions create` of HelloFlow and ParamsFlow deploys the state
//     machines and job definitions into the loopback fake (awstest) and
//     ParamsFlow's two EventBridge rules into moto's EventBridge.
//   - moto cannot invoke a Step Functions target, so the deployed target
//     is replaced by two log group targets: one receives each event the
//     rule matched (moto's pattern evaluator decides), the other carries
//     the deployed input transformer (moto's implementation of it).
//   - The upstream HelloFlow runs on aws-local-stepfunctions; its finish
//     event, as Step Functions sends it, is put on moto's bus; a user
//     event is sent with `step-functions send-event`.
//   - The input transformer is applied to the delivered event as
//     EventBridge does (trigger.Rule.Start; moto's result must agree), the
//     ParamsFlow state machine runs with that input, and its artifacts
//     must equal those of a local `run --event` of the same event.
func TestTriggers(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	moto := motoproc.Start(t)
	ctx := context.Background()
	hello := w.build(t, module+"/examples/hello")
	params := w.build(t, module+"/examples/params")
	fake := awstest.New()
	t.Cleanup(fake.Close)
	fake.AddQueue("stepflow-queue", "EC2", "FARGATE")
	fake.AddQueue("stepflow-ec2", "EC2")
	deployEnv := w.deployEnv(t, fake, moto)
	for _, fp := range []*flowPkg{hello, params} {
		cmd := exec.Command(fp.bin, "step-functions", "create", "--code-package", fp.bin)
		cmd.Dir, cmd.Env = repoRoot, deployEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s step-functions create: %v\n%s", fp.flow, err, out)
		}
	}
	upstream := fake.Machine("HelloFlow")
	downstream := fake.Machine("examples-ParamsFlow")
	if upstream == nil || downstream == nil {
		t.Fatalf("create deployed the state machines %v, %v; want HelloFlow and examples-ParamsFlow", upstream, downstream)
	}
	rules := retarget(t, ctx, moto, downstream.Arn)
	if len(rules) != 2 {
		t.Fatalf("create put %d rules for ParamsFlow on EventBridge, want 2 (its two triggers)", len(rules))
	}

	t.Run("event", func(t *testing.T) {
		t.Parallel()
		r := ruleMatching(t, rules, `"detail-type":["data.ready"]`)
		// The user event, as send-event publishes it.
		cmd := exec.Command(params.bin, "step-functions", "send-event", "data.ready", "--payload", `{"name":"ada","count":5}`)
		cmd.Dir, cmd.Env = repoRoot, deployEnv
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("send-event: %v", err)
		}
		// "event data.ready (source stepflow) sent to EventBridge: ID"
		_, id, ok := strings.Cut(strings.TrimSpace(string(out)), "sent to EventBridge: ")
		if !ok || id == "" || strings.ContainsAny(id, " \n") {
			t.Fatalf("send-event printed %q, want the event's id", out)
		}
		event := deliveredOnce(t, ctx, moto, r, id)
		run := triggeredRun(t, w, params, r, event)
		if run.params["name"] != "ada" || run.params["count"] != "5" || run.params["greeting"] != "hello" {
			t.Errorf("the triggered run has parameters %v, want name ada and count 5 from the event, greeting by default", run.params)
		}
		if want := map[string]string{"type": "event", "event": "data.ready", "id": id}; !reflect.DeepEqual(run.started, want) {
			t.Errorf("the triggered run was started by %v, want %v", run.started, want)
		}
	})

	t.Run("finish", func(t *testing.T) {
		t.Parallel()
		r := ruleMatching(t, rules, `"status":["SUCCEEDED"]`)
		input, err := deploy.Input(map[string]string{"name": "events"}, trigger.User("ada"))
		if err != nil {
			t.Fatal(err)
		}
		e := w.execute(t, w.compile(t, hello), json.RawMessage(input), execOpts{})
		if e.Status != "SUCCEEDED" {
			t.Fatalf("HelloFlow: execution %s: %s: %.2000s", e.Status, e.Error, e.Cause)
		}
		// Events the rule must not deliver: the same run had it failed
		// (the trigger is OnlyOnSuccess), and a success of HelloFlow
		// deployed elsewhere (another branch; and examples-HelloFlow,
		// where the trigger listened before it said InProject("")).
		failed := finishEvent(upstream.Arn, e, input)
		failed.Detail["status"], failed.Detail["error"], failed.Detail["cause"] = "FAILED", "States.TaskFailed", "a step failed"
		failed.Detail["output"], failed.Detail["outputDetails"] = nil, nil
		failed.Detail["redriveStatus"], failed.Detail["redriveStatusReason"] = "REDRIVABLE", nil
		elsewhere := strings.TrimSuffix(upstream.Arn, "HelloFlow")
		for _, ev := range []stepFunctionsEvent{failed, finishEvent(elsewhere+"staging-HelloFlow", e, input), finishEvent(elsewhere+"examples-HelloFlow", e, input)} {
			putEvent(t, ctx, moto, ev)
		}
		if got := delivered(t, ctx, moto, r.events); len(got) != 0 {
			t.Fatalf("the rule (pattern %s) delivered %d events of a failed run or of another deployment:\n%s", r.rule.Pattern, len(got), strings.Join(got, "\n"))
		}
		id := putEvent(t, ctx, moto, finishEvent(upstream.Arn, e, input))
		event := deliveredOnce(t, ctx, moto, r, id)
		run := triggeredRun(t, w, params, r, event)
		pathspec := "HelloFlow/" + e.runID()
		if run.params["name"] != pathspec || run.params["count"] != "3" {
			t.Errorf("the triggered run has parameters %v, want name %s (the upstream run) and count 3 (its default)", run.params, pathspec)
		}
		if want := map[string]string{"type": "run", "upstream": pathspec, "status": "SUCCEEDED", "id": id}; !reflect.DeepEqual(run.started, want) {
			t.Errorf("the triggered run was started by %v, want %v", run.started, want)
		}
	})
}

// deployEnv is the environment of a flow binary's step-functions commands
// run against the fake's control planes, moto's EventBridge and the
// world's S3.
func (w *world) deployEnv(t *testing.T, fake *awstest.Fake, moto *motoproc.Server) []string {
	home := t.TempDir()
	return []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "USER=ada", "TZ=UTC",
		"AWS_ACCESS_KEY_ID=AKIDE2E", "AWS_SECRET_ACCESS_KEY=secrete2e", "AWS_EC2_METADATA_DISABLED=true",
		"STEPFLOW_REGION=" + region,
		"STEPFLOW_SFN_ENDPOINT=" + fake.URL,
		"STEPFLOW_BATCH_ENDPOINT=" + fake.URL,
		"STEPFLOW_SCHEDULER_ENDPOINT=" + fake.URL,
		"STEPFLOW_LOGS_ENDPOINT=" + fake.URL,
		"STEPFLOW_EVENTS_ENDPOINT=" + moto.URL,
		"STEPFLOW_S3_ENDPOINT=" + w.s3URL,
		"STEPFLOW_S3_PATH_STYLE=true",
		"STEPFLOW_DATASTORE_ROOT=s3://" + bucket + "/" + prefix,
		"STEPFLOW_BATCH_QUEUE=stepflow-queue",
		"STEPFLOW_IMAGE_REPOSITORY=" + w.registry + "/flows",
		"STEPFLOW_BATCH_JOB_ROLE=arn:aws:iam::123456789012:role/stepflow-task",
		"STEPFLOW_BATCH_EXECUTION_ROLE=arn:aws:iam::123456789012:role/stepflow-ecs",
		"STEPFLOW_SFN_ROLE=arn:aws:iam::123456789012:role/stepflow-sfn",
		"STEPFLOW_SCHEDULER_ROLE=arn:aws:iam::123456789012:role/stepflow-scheduler",
		"STEPFLOW_SFN_LOG_GROUP_ARN=",
		"STEPFLOW_DYNAMODB_TABLE=" + table,
	}
}

// retarget reads the rules create put on moto's default bus for the state
// machine machineArn and replaces each one's target (the state machine,
// which moto cannot start) with two log group targets: one without and
// one with the deployed input transformer.
func retarget(t *testing.T, ctx context.Context, moto *motoproc.Server, machineArn string) []deployedRule {
	t.Helper()
	eb := moto.EventBridge()
	machine := machineArn[strings.LastIndexByte(machineArn, ':')+1:]
	list, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String(deploy.RulePrefix(machine))})
	if err != nil {
		t.Fatal(err)
	}
	var out []deployedRule
	for i, rule := range list.Rules {
		name := aws.ToString(rule.Name)
		targets, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: rule.Name})
		if err != nil {
			t.Fatal(err)
		}
		if len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Id) != deploy.TargetID || targets.Targets[0].InputTransformer == nil {
			t.Fatalf("rule %s has targets %+v, want the state machine with an input transformer", name, targets.Targets)
		}
		sm := targets.Targets[0]
		if aws.ToString(sm.Arn) != machineArn || aws.ToString(sm.RoleArn) == "" {
			t.Fatalf("rule %s targets %s with role %q, want %s with a role", name, aws.ToString(sm.Arn), aws.ToString(sm.RoleArn), machineArn)
		}
		r := deployedRule{name: name, machine: machineArn,
			rule:   trigger.Rule{Pattern: aws.ToString(rule.EventPattern), InputPathsMap: sm.InputTransformer.InputPathsMap, InputTemplate: aws.ToString(sm.InputTransformer.InputTemplate)},
			events: fmt.Sprintf("/e2e/rule-%d/events", i), inputs: fmt.Sprintf("/e2e/rule-%d/inputs", i)}
		eventsArn, err := moto.LogTarget(ctx, r.events)
		if err != nil {
			t.Fatal(err)
		}
		inputsArn, err := moto.LogTarget(ctx, r.inputs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: rule.Name, Ids: []string{deploy.TargetID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: rule.Name, Targets: []ebtypes.Target{
			{Id: aws.String("events"), Arn: aws.String(eventsArn)},
			{Id: aws.String("inputs"), Arn: aws.String(inputsArn), InputTransformer: sm.InputTransformer},
		}}); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// ruleMatching is the rule whose pattern contains fragment.
func ruleMatching(t *testing.T, rules []deployedRule, fragment string) deployedRule {
	t.Helper()
	for _, r := range rules {
		if strings.Contains(r.rule.Pattern, fragment) {
			return r
		}
	}
	t.Fatalf("no deployed rule has %s in its pattern: %+v", fragment, rules)
	return deployedRule{}
}

// stepFunctionsEvent is an event as Step Functions puts it on the default
// bus: the envelope's fields PutEvents takes, and the detail.
type stepFunctionsEvent struct {
	Resources []string
	Time      time.Time
	Detail    map[string]any
}

// finishEvent is the "Step Functions Execution Status Change" event of
// execution e of state machine machineArn started with input, as Step
// Functions sends it when the execution ends (docs: "EventBridge (CloudWatch
// Events) for Step Functions execution status changes"): the detail is
// DescribeExecution's, with input and output as JSON strings.
func finishEvent(machineArn string, e *execution, input string) stepFunctionsEvent {
	execArn := strings.Replace(machineArn, ":stateMachine:", ":execution:", 1) + ":" + e.name
	output := string(e.Output)
	return stepFunctionsEvent{
		Resources: []string{execArn},
		Time:      time.UnixMilli(e.StopDate),
		Detail: map[string]any{
			"executionArn":        execArn,
			"stateMachineArn":     machineArn,
			"name":                e.name,
			"status":              e.Status,
			"startDate":           e.StartDate,
			"stopDate":            e.StopDate,
			"input":               input,
			"inputDetails":        map[string]any{"included": true},
			"output":              output,
			"outputDetails":       map[string]any{"included": true},
			"redriveCount":        0,
			"redriveDate":         nil,
			"redriveStatus":       "NOT_REDRIVABLE",
			"redriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
		},
	}
}

// putEvent puts ev on moto's default bus, in Step Functions' stead (on AWS
// only Step Functions may send source aws.states), and returns its id.
func putEvent(t *testing.T, ctx context.Context, moto *motoproc.Server, ev stepFunctionsEvent) string {
	t.Helper()
	detail, err := json.Marshal(ev.Detail)
	if err != nil {
		t.Fatal(err)
	}
	out, err := moto.EventBridge().PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String(trigger.FinishSource), DetailType: aws.String(trigger.FinishDetailType),
		Resources: ev.Resources, Time: aws.Time(ev.Time), Detail: aws.String(string(detail))}}})
	if err != nil || out.FailedEntryCount != 0 || len(out.Entries) != 1 {
		t.Fatalf("PutEvents: %v %+v", err, out)
	}
	return aws.ToString(out.Entries[0].EventId)
}

func delivered(t *testing.T, ctx context.Context, moto *motoproc.Server, group string) []string {
	t.Helper()
	got, err := moto.Delivered(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// deliveredOnce requires that rule r delivered exactly one event, the one
// with id, and that moto's input transformer made of it what
// trigger.Rule.Start makes; it returns the event as delivered.
func deliveredOnce(t *testing.T, ctx context.Context, moto *motoproc.Server, r deployedRule, id string) []byte {
	t.Helper()
	events := delivered(t, ctx, moto, r.events)
	inputs := delivered(t, ctx, moto, r.inputs)
	if len(events) != 1 || len(inputs) != 1 {
		t.Fatalf("rule %s (pattern %s) delivered %d events and %d inputs, want 1 each:\n%s", r.name, r.rule.Pattern, len(events), len(inputs), strings.Join(append(events, inputs...), "\n"))
	}
	var env trigger.Event
	if err := json.Unmarshal([]byte(events[0]), &env); err != nil || env.ID != id {
		t.Fatalf("rule %s delivered %s (%v), want the event %s", r.name, events[0], err, id)
	}
	ours, err := r.rule.Start([]byte(events[0]))
	if err != nil {
		t.Fatalf("the input transformer on %s: %v", events[0], err)
	}
	var motos trigger.Input
	if err := json.Unmarshal([]byte(inputs[0]), &motos); err != nil || !reflect.DeepEqual(ours, motos) {
		t.Errorf("input transformer: moto's EventBridge gives %s (%v), Rule.Start %+v", inputs[0], err, ours)
	}
	return []byte(events[0])
}

// triggered is what a run started by an event recorded.
type triggered struct {
	params  map[string]string
	started map[string]string
}

// triggeredRun starts fp's state machine with the input rule r gives event
// (as EventBridge's StartExecution would), requires it to succeed with the
// artifacts of a local `run --event` of the same event and to record the
// same parameters and trigger, and returns what the cloud run recorded.
func triggeredRun(t *testing.T, w *world, fp *flowPkg, r deployedRule, event []byte) triggered {
	t.Helper()
	in, err := r.rule.Start(event)
	if err != nil {
		t.Fatal(err)
	}
	input, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(file, event, 0o644); err != nil {
		t.Fatal(err)
	}
	ls, lrun := localRun(t, fp, "--event", file)
	def := w.compile(t, fp)
	cloud := w.store(fp)
	copyConfigs(t, def, ls, cloud)
	e := w.execute(t, def, json.RawMessage(input), execOpts{})
	if e.Status != "SUCCEEDED" {
		t.Fatalf("%s started by the event: execution %s: %s: %.2000s", fp.flow, e.Status, e.Error, e.Cause)
	}
	sameArtifacts(t, ls, lrun, cloud, e.runID())
	ctx := context.Background()
	run, _, err := cloud.Runs().Get(ctx, e.runID())
	if err != nil {
		t.Fatal(err)
	}
	lr, _, err := ls.Runs().Get(ctx, lrun)
	if err != nil {
		t.Fatal(err)
	}
	if !equalMaps(run.Params, lr.Params) || !equalMaps(run.Trigger, lr.Trigger) {
		t.Errorf("run records: Step Functions params %v trigger %v; local run --event params %v trigger %v", run.Params, run.Trigger, lr.Params, lr.Trigger)
	}
	return triggered{params: run.Params, started: run.Trigger}
}
