package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/trigger"
)

// hookflow is a foreach flow with an exit hook; its parameter fail says
// where a run goes wrong.
const hookflow = module + "/internal/aws/e2e/testdata/hookflow"

// TestExitHookOnStepFunctions runs the exit hook of HookFlow on the
// emulated stack (docs/state-machine.md, "Exit hook"), one compiled
// definition for the three runs:
//
//   - a run that succeeds goes on from its end step to the hook task: the
//     execution SUCCEEDED, and the hook's record says it succeeded, told
//     the run succeeded, with what it read of the run's artifacts;
//   - a run whose hook fails still SUCCEEDED: the hook's record says
//     failed, with its error;
//   - a run that fails in its foreach body ends FAILED without running
//     the hook (so a redrive restarts at the failed state); Step
//     Functions' status change of that execution, put through the hook's
//     EventBridge rule (trigger.HookRule: pattern checked against moto in
//     package trigger, input transformer applied here as EventBridge
//     does), starts an execution of the same state machine that runs only
//     the hook task, and the hook's record says it was told the run
//     failed, which task failed and why. The failed run's execution is
//     unchanged: still FAILED.
func TestExitHookOnStepFunctions(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, hookflow)
	def := w.compile(t, fp)
	cost := recordTransitions(t)
	ctx := context.Background()
	hookRecord := func(t *testing.T, run string) map[string]any {
		t.Helper()
		h, err := w.store(fp).Runs().GetHook(ctx, run)
		if err != nil || h == nil {
			t.Fatalf("run %s: no hook record (%v)", run, err)
		}
		return map[string]any{"status": h.Status, "run_status": h.RunStatus, "error": h.Error, "output": h.Output}
	}
	hookJobs := func(e *execution) int {
		n := 0
		for _, j := range e.Jobs {
			if j.Step == "" {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		fail string
		hook string // the hook's record's status
	}{{"", "succeeded"}, {"hook", "failed"}} {
		t.Run("run succeeds, hook "+tc.hook, func(t *testing.T) {
			e := w.execute(t, def, map[string]any{"Parameters": map[string]string{"fail": tc.fail}}, execOpts{})
			if e.Status != "SUCCEEDED" {
				t.Fatalf("execution %s: %s: %.1000s\n%s", e.Status, e.Error, e.Cause, e.failedJobs())
			}
			if e.Entered["Hook"] != 1 || hookJobs(e) != 1 || e.Entered["Hook.Error"] != 0 {
				t.Errorf("entered %v, %d hook jobs; want the hook task once", e.Entered, hookJobs(e))
			}
			rec := hookRecord(t, e.runID())
			out := rec["output"].(string)
			if rec["status"] != tc.hook || rec["run_status"] != "succeeded" || !strings.Contains(out, "hook: run "+e.runID()+" succeeded\nhook: 2 words\nhook: total 3\n") {
				t.Errorf("hook record %v; want %s, told succeeded, the total read", rec, tc.hook)
			}
			if tc.hook == "failed" && rec["error"] != "exit hook: planted failure in the hook" {
				t.Errorf("hook record's error %q", rec["error"])
			}
			name := "hookflow"
			if tc.fail != "" {
				name += "/fail=" + tc.fail
			}
			cost.add(t, name, fp, def, e)
		})
	}
	t.Run("run fails in a foreach body", func(t *testing.T) {
		input := `{"Parameters":{"fail":"measure"}}`
		e := w.execute(t, def, json.RawMessage(input), execOpts{})
		if e.Status != "FAILED" || hookJobs(e) != 0 || e.Entered["Hook"] != 0 {
			t.Fatalf("execution %s (%s), %d hook jobs; want FAILED in measure, no hook job in it", e.Status, e.Error, hookJobs(e))
		}
		if h, err := w.store(fp).Runs().GetHook(ctx, e.runID()); err != nil || h != nil {
			t.Fatalf("a hook record before the hook ran: %v %v", h, err)
		}
		// Step Functions' status change event of the failed execution.
		machine := "arn:aws:states:" + region + ":123456789012:stateMachine:HookFlow"
		event, err := json.Marshal(map[string]any{"version": "0", "id": "e-1", "source": trigger.FinishSource, "detail-type": trigger.FinishDetailType,
			"account": "123456789012", "time": "2026-01-02T03:04:05Z", "region": region, "resources": []string{machine + ":" + e.name},
			"detail": map[string]any{"executionArn": machine + ":" + e.name, "stateMachineArn": machine, "name": e.name,
				"status": e.Status, "input": input, "error": e.Error, "cause": e.Cause}})
		if err != nil {
			t.Fatal(err)
		}
		rule := trigger.HookRule(machine)
		hookInput, err := trigger.Transform(rule.InputPathsMap, rule.InputTemplate, event)
		if err != nil {
			t.Fatal(err)
		}
		h := w.execute(t, def, json.RawMessage(hookInput), execOpts{})
		if h.Status != "SUCCEEDED" || hookJobs(h) != 1 || len(h.Jobs) != 1 || h.Entered["Hook.Run"] != 1 || h.Entered["Init"] != 0 {
			t.Fatalf("hook execution %s (%s): entered %v, jobs %d; want the hook task alone", h.Status, h.Error, h.Entered, len(h.Jobs))
		}
		rec := hookRecord(t, e.runID())
		out := rec["output"].(string)
		want := fmt.Sprintf("hook: run %s failed\nhook: error: the run ended FAILED on AWS Step Functions: task %s/measure/1 failed: step measure: planted failure in measure\nhook: 2 words\n", e.runID(), e.runID())
		if rec["status"] != "succeeded" || rec["run_status"] != "failed" || !strings.Contains(out, want) {
			t.Errorf("hook record %v; want succeeded, told failed, with\n%s", rec, want)
		}
		if _, end, err := w.store(fp).Runs().Get(ctx, e.runID()); err != nil || (end != nil && end.Status != "failed") {
			t.Errorf("the run's record after its hook: end %+v, %v", end, err)
		}
	})
}
