package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/trigger"
)

// CatchUpEventID is the event id in the Trigger block of a run that
// OnFinishOf started: no EventBridge event started it.
const CatchUpEventID = "on-finish-of"

// OnFinishOf starts the run of the deployed flow f that the finish event
// of the upstream run upstream ("FLOW/sfn-NAME") would have started
// through f's TriggerOnFinish on FLOW: Step Functions delivers its status
// change events on a best-effort basis, so one may never come. The input
// is the deployed rule's input transformer applied to the event Step
// Functions sends for that execution (package trigger), so the run is the
// one the event would have started, but for the event id (CatchUpEventID).
// It refuses an upstream run that has not ended, or ended with a status
// the trigger does not start on, and, unless force, one whose finish
// already started a run of f (read from the runs started since the
// upstream ended: one DescribeExecution each). It returns the new run id.
func (o *Ops) OnFinishOf(ctx context.Context, f *flow.Flow, s statemachine.Settings, upstream string, force bool) (string, error) {
	up, run, ok := strings.Cut(upstream, "/")
	if !ok || up == "" || !statemachine.IsRunID(run) || strings.Contains(run, "/") {
		return "", userf("--on-finish-of %q: write FLOW/RUN, the upstream flow and its Step Functions run id (e.g. IngestFlow/sfn-1b2c...)", upstream)
	}
	var t *flow.Trigger
	var on []string
	for _, tr := range f.Triggers {
		if tr.Kind == flow.OnFinish {
			on = append(on, tr.Flow)
			if tr.Flow == up {
				t = tr
			}
		}
	}
	if t == nil {
		if len(on) == 0 {
			return "", userf("flow %s has no TriggerOnFinish: no run of another flow starts it", f.Name)
		}
		return "", userf("flow %s has no TriggerOnFinish on %s; it triggers on the finish of %s", f.Name, up, strings.Join(on, ", "))
	}
	d, err := o.deployed(ctx)
	if err != nil {
		return "", err
	}
	base := d.Arn[:strings.LastIndexByte(d.Arn, ':')+1] // arn:aws:states:<region>:<account>:stateMachine:
	upArn := base + UpstreamMachine(f, t, s)
	ex, err := o.C.SFN.DescribeExecution(ctx, &sfnsdk.DescribeExecutionInput{ExecutionArn: aws.String(execArn(upArn, run))})
	if errCode(err) == "ExecutionDoesNotExist" || errCode(err) == "StateMachineDoesNotExist" {
		return "", userf("run %s of %s does not exist: the trigger listens to state machine %s (the upstream's project, branch and name prefix as this deployment's); list its runs with '%s step-functions list-runs'",
			run, up, UpstreamMachine(f, t, s), up)
	}
	if err != nil {
		return "", awsErr("describe the upstream run "+upstream, err)
	}
	status := string(ex.Status)
	if !slices.Contains(trigger.FinishStatuses, status) {
		return "", userf("run %s has not ended (%s): its finish event, when it ends, starts %s; catch up only on a run that ended", upstream, status, f.Name)
	}
	if t.OnlySuccess && status != "SUCCEEDED" {
		return "", userf("run %s ended %s, and the trigger of %s starts it only when %s succeeds (OnlyOnSuccess)", upstream, status, f.Name, up)
	}
	stop := aws.ToTime(ex.StopDate)
	if !force {
		if prev, err := o.startedByFinish(ctx, d.Arn, upstream, stop); err != nil {
			return "", err
		} else if prev != "" {
			return "", userf("the finish of %s started run %s of %s already; give --force to start another", upstream, prev, f.Name)
		}
	}
	_, rules, err := Rules(f, s, d.Arn)
	if err != nil {
		return "", err
	}
	name := d.Arn[strings.LastIndexByte(d.Arn, ':')+1:]
	rule, ok := rules[RuleName(name, t)]
	if !ok {
		return "", fmt.Errorf("flow %s: no rule for its trigger on %s", f.Name, up)
	}
	event, err := finishEvent(ex, o.C.Region)
	if err != nil {
		return "", err
	}
	input, err := trigger.Transform(rule.InputPathsMap, rule.InputTemplate, event)
	if err != nil {
		return "", fmt.Errorf("apply the trigger's input transformer to the finish of %s: %w", upstream, err)
	}
	return o.start(ctx, string(input), "")
}

// finishEvent is the Execution Status Change event Step Functions sends
// on EventBridge when execution ex ends (its documented form), with id
// CatchUpEventID.
func finishEvent(ex *sfnsdk.DescribeExecutionOutput, region string) ([]byte, error) {
	arn := aws.ToString(ex.ExecutionArn)
	account := ""
	if f := strings.Split(arn, ":"); len(f) > 4 {
		account = f[4]
	}
	ms := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.UnixMilli()
	}
	ev := map[string]any{
		"version": "0", "id": CatchUpEventID, "detail-type": trigger.FinishDetailType, "source": trigger.FinishSource,
		"account": account, "time": aws.ToTime(ex.StopDate).UTC().Format(time.RFC3339), "region": region,
		"resources": []string{arn},
		"detail": map[string]any{
			"executionArn": arn, "stateMachineArn": aws.ToString(ex.StateMachineArn), "name": aws.ToString(ex.Name),
			"status": string(ex.Status), "startDate": ms(ex.StartDate), "stopDate": ms(ex.StopDate),
			"input": aws.ToString(ex.Input), "output": aws.ToString(ex.Output),
		},
	}
	return json.Marshal(ev)
}

// startedByFinish returns the run of the state machine machineArn that the
// finish of upstream started, or "": it reads the runs started since the
// upstream ended (newest first), one DescribeExecution each.
func (o *Ops) startedByFinish(ctx context.Context, machineArn, upstream string, ended time.Time) (string, error) {
	runs, err := listRuns(ctx, o.C, machineArn, "", 0)
	if err != nil {
		return "", err
	}
	var since []Run
	for _, r := range runs {
		// A minute's slack: the clocks of the two executions' records.
		if r.Start.After(ended.Add(-time.Minute)) {
			since = append(since, r)
		}
	}
	if err := o.startedBy(ctx, machineArn, since); err != nil {
		return "", err
	}
	for _, r := range since {
		if r.Trigger["type"] == trigger.ByRun && r.Trigger["upstream"] == upstream {
			return r.ID, nil
		}
	}
	return "", nil
}
