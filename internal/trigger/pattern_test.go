package trigger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/stepflow/stepflow/internal/aws/motoproc"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/trigger"
)

// TestPatterns checks every kind of generated pattern with a real
// EventBridge pattern evaluator, moto's, not ours: the events each trigger
// must start the flow on match, the others do not. moto 5.2.1 answers
// TestEventPattern without evaluating it (always false), so each event is
// put on a bus whose archive has the pattern (see delivered).
func TestPatterns(t *testing.T) {
	eb := motoproc.Start(t).EventBridge()
	up := "arn:aws:states:us-east-1:123456789012:stateMachine:proj-Up"
	upOnly := func(*flow.Trigger) string { return up }
	env := func(source, detailType, detail string) string {
		return fmt.Sprintf(`{"version":"0","id":"e-1","source":%q,"detail-type":%q,"account":"123456789012","time":"2026-01-02T03:04:05Z","region":"us-east-1","resources":[],"detail":%s}`, source, detailType, detail)
	}
	finish := func(machine, status string) string {
		return env(trigger.FinishSource, trigger.FinishDetailType,
			fmt.Sprintf(`{"executionArn":"%s:x","stateMachineArn":%q,"name":"x","status":%q}`, machine, machine, status))
	}
	cases := []struct {
		name    string
		trigger flow.Trigger
		match   []string
		nomatch []string
	}{
		{"user event", flow.Trigger{Kind: flow.OnEvent, Event: "data.ready", Mappings: []flow.Mapping{{Param: "d", Path: "detail.date"}}},
			[]string{env("stepflow", "data.ready", `{"date":"2026-01-02"}`), env("stepflow", "data.ready", `{}`)},
			[]string{env("stepflow", "data.late", `{}`), env("other", "data.ready", `{}`), env("stepflow", "Data.Ready", `{}`)}},
		{"finish, any status", flow.Trigger{Kind: flow.OnFinish, Flow: "Up"},
			[]string{finish(up, "SUCCEEDED"), finish(up, "FAILED"), finish(up, "TIMED_OUT"), finish(up, "ABORTED")},
			[]string{finish(up, "RUNNING"), finish(up+"2", "SUCCEEDED"), finish("arn:aws:states:us-east-1:123456789012:stateMachine:proj-staging-Up", "SUCCEEDED"),
				env(trigger.Source, trigger.FinishDetailType, `{"stateMachineArn":"`+up+`","status":"SUCCEEDED"}`)}},
		{"finish, success only", flow.Trigger{Kind: flow.OnFinish, Flow: "Up", OnlySuccess: true},
			[]string{finish(up, "SUCCEEDED")},
			[]string{finish(up, "FAILED"), finish(up, "ABORTED"), finish(up, "RUNNING")}},
	}
	ctx := context.Background()
	n := 0
	for _, tc := range cases {
		r, err := trigger.Build(&flow.Flow{Name: "Down"}, &tc.trigger, upOnly)
		if err != nil {
			t.Fatal(err)
		}
		for want, events := range map[bool][]string{true: tc.match, false: tc.nomatch} {
			for _, ev := range events {
				n++
				if got := delivered(t, ctx, eb, n, r.Pattern, ev); got != want {
					t.Errorf("%s: pattern %s matches %s: %v, want %v", tc.name, r.Pattern, ev, got, want)
				}
			}
		}
	}
}

// delivered reports whether moto's EventBridge delivers ev (an event as
// JSON) to a target of a rule with pattern: a fresh bus per call with an
// archive (CreateArchive makes a rule with the archive's pattern and the
// archive as its target), and a match is an event counted by the archive.
func delivered(t *testing.T, ctx context.Context, eb *eventbridge.Client, n int, pattern, ev string) bool {
	t.Helper()
	bus := fmt.Sprintf("bus-%d", n)
	b, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eb.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String(bus), EventSourceArn: b.EventBusArn, EventPattern: aws.String(pattern)}); err != nil {
		t.Fatalf("CreateArchive(%s): %v", pattern, err)
	}
	var e struct {
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
		Resources  []string        `json:"resources"`
	}
	if err := json.Unmarshal([]byte(ev), &e); err != nil {
		t.Fatal(err)
	}
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{EventBusName: aws.String(bus),
		Source: aws.String(e.Source), DetailType: aws.String(e.DetailType), Detail: aws.String(string(e.Detail)), Resources: e.Resources}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents(%s): %v %+v", ev, err, out)
	}
	got, err := eb.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String(bus)})
	if err != nil {
		t.Fatal(err)
	}
	return got.EventCount > 0
}

// TestHookPattern: the exit hook's rule matches, with moto's evaluator,
// the status change of each of the state machine's executions that
// failed, timed out or was aborted, and not one that succeeded or runs,
// one of another state machine, or one of the hook's own executions (its
// input begins with the Hook block): a hook execution that fails never
// starts another. Its input names the run and how it ended.
func TestHookPattern(t *testing.T) {
	eb := motoproc.Start(t).EventBridge()
	machine := "arn:aws:states:us-east-1:123456789012:stateMachine:HookFlow"
	r := trigger.HookRule(machine)
	finish := func(machine, status, input string) string {
		return fmt.Sprintf(`{"version":"0","id":"e-1","source":%q,"detail-type":%q,"account":"123456789012","time":"2026-01-02T03:04:05Z","region":"us-east-1","resources":[],"detail":{"executionArn":"%s:x","stateMachineArn":%q,"name":"x","status":%q,"input":%q}}`,
			trigger.FinishSource, trigger.FinishDetailType, machine, machine, status, input)
	}
	run := `{"Parameters":{},"Trigger":{"type":"user"}}`
	hook := `{"Hook":{"RunId":"sfn-y","Status":"FAILED"},"Trigger":{"type":"hook"}}`
	ctx := context.Background()
	n := 1000 // the buses of TestPatterns, on the same moto, are numbered from 1
	for want, events := range map[bool][]string{
		true:  {finish(machine, "FAILED", run), finish(machine, "TIMED_OUT", run), finish(machine, "ABORTED", "{}")},
		false: {finish(machine, "SUCCEEDED", run), finish(machine, "RUNNING", run), finish(machine+"2", "FAILED", run), finish(machine, "FAILED", hook), finish(machine, "TIMED_OUT", hook)},
	} {
		for _, ev := range events {
			n++
			if got := delivered(t, ctx, eb, n, r.Pattern, ev); got != want {
				t.Errorf("pattern %s matches %s: %v, want %v", r.Pattern, ev, got, want)
			}
		}
	}
	in, err := trigger.Transform(r.InputPathsMap, r.InputTemplate, []byte(finish(machine, "TIMED_OUT", run)))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Hook":{"RunId":"sfn-x","Status":"TIMED_OUT"},"Trigger":{"type":"hook","run":"sfn-x","status":"TIMED_OUT","id":"e-1"}}`; string(in) != want {
		t.Errorf("input %s, want %s", in, want)
	}
	if got := trigger.Describe(map[string]string{"type": "hook", "run": "sfn-x", "status": "TIMED_OUT", "id": "e-1"}); got != "exit hook of run sfn-x TIMED_OUT (event id e-1)" {
		t.Errorf("Describe: %q", got)
	}
}
