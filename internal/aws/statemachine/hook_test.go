package statemachine_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
)

// hookFlow is a one-step foreach flow, with an exit hook when hook is set.
func hookFlow(hook bool) *flow.Flow {
	b := stepflow.New[S]("HookFlow").
		Step("start", noop, stepflow.Foreach("Items", "body")).
		Step("body", noop, stepflow.Next("join")).
		Join("join", join, stepflow.Next("end")).
		Step("end", noop, stepflow.Batch{Queue: "end-queue"})
	if hook {
		b.OnFinish(func(*stepflow.Context, *stepflow.Finished[S]) error { return nil })
	}
	return flow.MustDefinitionOf(b)
}

// TestExitHook: a flow with an exit hook starts at the route (an input
// with a Hook block, from the hook's rule after a failed run, goes to
// the hook task; any other to Init), its end step goes on to the hook
// task, and both hook tasks run the end step's job definition on its
// queue with STEPFLOW_HOOK and the run id and no step, retry only the
// transient errors and catch every other failure into a Succeed state.
// Nothing else changes: a failure is still uncaught (so a redrive restarts
// at the state that failed), and a flow without a hook compiles as before.
// The plan counts the hook task: 2 transitions (the route and the hook)
// and 1 job more than without.
func TestExitHook(t *testing.T) {
	with, without := compile(t, hookFlow(true), testSettings()), compile(t, hookFlow(false), testSettings())
	var def struct{ StartAt string }
	if err := json.Unmarshal(with.Definition, &def); err != nil || def.StartAt != "Init.Route" {
		t.Fatalf("StartAt %q (%v), want Init.Route", def.StartAt, err)
	}
	if err := json.Unmarshal(without.Definition, &def); err != nil || def.StartAt != "Init" {
		t.Fatalf("without a hook: StartAt %q (%v), want Init", def.StartAt, err)
	}
	st, plain := states(t, with), states(t, without)
	if len(st) != len(plain)+4 {
		t.Errorf("%d states with the hook, %d without: want the route, 2 hook tasks and Hook.Error more", len(st), len(plain))
	}
	for name, s := range plain {
		if name == "end" {
			continue
		}
		if a, b := fmt.Sprint(st[name]), fmt.Sprint(s); a != b {
			t.Errorf("state %s differs with a hook:\n%s\n%s", name, a, b)
		}
	}
	if plain["end"]["End"] != true || st["end"]["Next"] != "Hook" || st["end"]["End"] != nil {
		t.Errorf("end: %v with a hook, %v without", st["end"], plain["end"])
	}
	route := fmt.Sprint(st["Init.Route"])
	if want := "map[Choices:[map[IsPresent:true Next:Hook.Run Variable:$.Hook]] Default:Init Type:Choice]"; route != want {
		t.Errorf("Init.Route = %s, want %s", route, want)
	}
	for name, want := range map[string][2]string{"Hook": {"$.RunId", "SUCCEEDED"}, "Hook.Run": {"$.Hook.RunId", "$.Hook.Status"}} {
		h := st[name]
		p := h["Parameters"].(map[string]any)
		if p["JobQueue"] != "end-queue" || p["JobDefinition"] != st["end"]["Parameters"].(map[string]any)["JobDefinition"] {
			t.Errorf("%s: queue %v, job definition %v; want the end step's", name, p["JobQueue"], p["JobDefinition"])
		}
		env := map[string]string{}
		for _, e := range p["ContainerOverrides"].(map[string]any)["Environment"].([]any) {
			m := e.(map[string]any)
			v, _ := m["Value"].(string)
			if p, ok := m["Value.$"].(string); ok {
				v = p
			}
			env[m["Name"].(string)] = v
		}
		if len(env) != 2 || env["STEPFLOW_RUN_ID"] != want[0] || env["STEPFLOW_HOOK"] != want[1] {
			t.Errorf("%s: environment %v, want the run %s and STEPFLOW_HOOK %s only", name, env, want[0], want[1])
		}
		catch := fmt.Sprint(h["Catch"])
		if catch != "[map[ErrorEquals:[States.ALL] Next:Hook.Error ResultPath:$.HookError]]" || h["End"] != true || len(h["Retry"].([]any)) != 1 {
			t.Errorf("%s: catch %s, retry %v, end %v", name, catch, h["Retry"], h["End"])
		}
	}
	if st["Hook.Error"]["Type"] != "Succeed" {
		t.Errorf("Hook.Error = %v, want a Succeed state", st["Hook.Error"])
	}

	a := statemachine.Assumptions{Widths: map[string]int{"start": 5}}
	pw, err := with.Plan(a)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := without.Plan(a)
	if err != nil {
		t.Fatal(err)
	}
	if pw.Transitions != pp.Transitions+2 || pw.Jobs != pp.Jobs+1 || pw.SubmitJobs != pp.SubmitJobs+1 {
		t.Errorf("plan with a hook: %d transitions, %d jobs, %d SubmitJob; without: %d, %d, %d", pw.Transitions, pw.Jobs, pw.SubmitJobs, pp.Transitions, pp.Jobs, pp.SubmitJobs)
	}
	last := pw.Steps[len(pw.Steps)-1]
	if last.Step != statemachine.HookScope || last.Tasks != 1 || last.Transitions != 1 || last.Duration != statemachine.HookPlanDuration || last.VCPU != 1 {
		t.Errorf("the plan's hook row: %+v", last)
	}

	file := filepath.Join(t.TempDir(), "hook.json")
	if err := os.WriteFile(file, with.Definition, 0o644); err != nil {
		t.Fatal(err)
	}
	validate(t, file)
}
