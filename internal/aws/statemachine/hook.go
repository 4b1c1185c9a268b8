package statemachine

import (
	"time"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/taskcontract"
	"github.com/stepflow/stepflow/internal/trigger"
)

// Names of the exit hook's states (docs/state-machine.md, "Exit hook").
// They have an upper-case part, so no step's state has them.
const (
	// hookRoute is the StartAt of a flow with a hook: a Choice sending an
	// execution whose input has a Hook block (started by the hook's
	// EventBridge rule once a run failed) to hookRun, every other to Init.
	hookRoute = "Init.Route"
	// hookState runs the hook of a run that succeeded, after the end
	// step.
	hookState = "Hook"
	// hookRun runs the hook of the run named by the input's Hook block.
	hookRun = "Hook.Run"
	// hookError ends an execution whose hook task failed as a success: a
	// failing hook never changes a run's outcome.
	hookError = "Hook.Error"
)

// HookScope is the owner of the hook task in a plan (Plan.Steps): it is
// no step of the flow.
const HookScope = "(exit hook)"

// HookField is the field of the execution input that makes an execution
// the exit hook of another run (trigger.HookRule).
const HookField = trigger.HookField

// HookPlanDuration is the run time a plan assumes for the hook task.
const HookPlanDuration = time.Minute

// hooked reports whether the flow has an exit hook.
func (c *compiler) hooked() bool { return c.f.OnFinish != nil }

// startAt is the definition's first state.
func (c *compiler) startAt() string {
	if c.hooked() {
		return hookRoute
	}
	return initState
}

// endNext is the transition of the end step: to the hook task when the
// flow has one.
func (c *compiler) endNext() kv {
	if c.hooked() {
		return kv{"Next", hookState}
	}
	return kv{"End", true}
}

// hookStates adds the exit hook's states to the top level of a flow with a
// hook: the route, the hook task after the end step (the run succeeded),
// the hook task of a hook execution (the run failed: started by the
// hook's EventBridge rule, docs/state-machine.md "Exit hook") and the
// success both end in when the hook task itself fails. A run that fails
// fails the execution as a flow without a hook does (so that a redrive
// restarts at the state that failed); its hook runs in an execution of its
// own.
func (c *compiler) hookStates(states *obj) {
	if !c.hooked() {
		return
	}
	*states = append(obj{{hookRoute, obj{{"Type", "Choice"},
		{"Choices", []any{obj{{"Variable", "$." + HookField}, {"IsPresent", true}, {"Next", hookRun}}}},
		{"Default", initState}}}}, *states...)
	*states = append(*states,
		kv{hookState, c.hookTask("$.RunId", obj{{"Name", taskcontract.EnvHook}, {"Value", "SUCCEEDED"}})},
		kv{hookRun, c.hookTask("$."+HookField+".RunId", obj{{"Name", taskcontract.EnvHook}, {"Value.$", "$." + HookField + ".Status"}})},
		kv{hookError, obj{{"Type", "Succeed"}}})
	c.stepOf[hookState], c.stepOf[hookRun] = HookScope, HookScope
}

// hookTask is a Task state running the exit hook of the run at runID (a
// path) as a job of the end step's job definition and queue:
// `<flow-binary> step` with STEPFLOW_HOOK (status) and STEPFLOW_RUN_ID,
// no step. It retries the integration's transient errors, and catches
// every other failure into hookError.
func (c *compiler) hookTask(runID string, status obj) obj {
	end := c.g.Node(c.g.End)
	queue := end.Step.Options.Batch.Queue
	if queue == "" {
		queue = c.s.Queue
	}
	params := obj{
		{"JobName", shorten(c.f.Name+"-on_finish", 128)},
		{"JobQueue", queue},
		{"JobDefinition", c.jdOf[c.g.End]},
		{"ContainerOverrides", obj{{"Environment", []any{obj{{"Name", EnvRunID}, {"Value.$", runID}}, status}}}},
		{"Tags", obj{{"stepflow:flow", c.f.Name}, {"stepflow:hook", "on_finish"}, {"stepflow:run.$", runID}}},
	}
	return obj{{"Type", "Task"}, {"Resource", c.arn("batch:submitJob.sync")}, {"Parameters", params},
		{"TimeoutSeconds", int64(c.s.taskTimeout() / time.Second)}, {"ResultPath", nil},
		{"Retry", []any{transientRetry()}},
		{"Catch", []any{obj{{"ErrorEquals", []string{"States.ALL"}}, {"ResultPath", "$.HookError"}, {"Next", hookError}}}},
		{"End", true}}
}

// hookPlan is the plan's share of the hook task: the end step's
// resources, HookPlanDuration.
func hookPlan(sp *StepPlan, end *graph.Node, s Settings) {
	o := end.Step.Options
	sp.Platform = s.PlatformOf(o.Batch.Platform)
	sp.VCPU, sp.MemoryMiB = o.Resources.CPU, flow.DefaultMemoryMiB
	if sp.VCPU == 0 {
		sp.VCPU = flow.DefaultCPU
	}
	if o.Resources.Memory != "" {
		if m, err := flow.ParseMiB(o.Resources.Memory); err == nil {
			sp.MemoryMiB = int(m)
		}
	}
	sp.Duration = HookPlanDuration
}
