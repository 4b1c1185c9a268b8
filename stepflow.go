package stepflow

import (
	"maps"
	"slices"
	"time"
	_ "time/tzdata" // schedules name IANA time zones; keep the binary self-contained

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/flowcmd"
)

// Flow declares a flow over the state struct T. Build one with New.
type Flow[T any] = flow.Builder[T]

// Context is what a step receives besides its state: task identity,
// foreach position, attempt number, cancellation and output.
type Context = flow.Context

// StepOption is a transition or a per-step setting.
type StepOption = flow.StepOption

// ParamOption is an optional setting of a parameter or config.
type ParamOption = flow.ParamOption

// Resources is what a task needs from the machine it runs on.
type Resources = flow.Resources

// Batch holds a step's AWS Batch settings; they do not affect local runs.
type Batch = flow.Batch

// Tmpfs, EFSVolume and HostVolume describe mounts of an AWS Batch job.
type (
	Tmpfs      = flow.Tmpfs
	EFSVolume  = flow.EFSVolume
	HostVolume = flow.HostVolume
)

// Env sets environment variables of a step's tasks.
type Env = flow.Env

// RetryPolicy says how often and how soon a failed task is retried.
type RetryPolicy = flow.Retry

// Failure is what a catch field of this type receives when a step fails.
type Failure = flow.Failure

// Cases maps values of a switch field to target steps.
type Cases map[string]string

// New starts the declaration of a flow called name over the state struct T.
func New[T any](name string) *Flow[T] { return flow.NewBuilder[T](name) }

// Main runs the flow binary's command line (run, check, show, step, ...)
// and exits. Call it from the flow program's main function.
func Main[T any](f *Flow[T]) {
	flowcmd.Main(f.Definition())
}

// Next makes the step continue with one successor.
func Next(step string) StepOption {
	return flow.SetTransition(flow.Transition{Kind: flow.Next, Targets: []string{step}})
}

// Branch makes the step continue with every target in parallel; a Join
// closes the branches.
func Branch(steps ...string) StepOption {
	return flow.SetTransition(flow.Transition{Kind: flow.Branch, Targets: steps})
}

// Foreach runs step once per element of the slice field; a Join closes the
// foreach and receives the tasks' states in index order.
func Foreach(field, step string) StepOption {
	return flow.SetTransition(flow.Transition{Kind: flow.Foreach, Targets: []string{step}, Field: field})
}

// Switch continues with the step that cases maps the field's value to (the
// value is formatted with fmt.Sprint). A value with no case fails the task.
func Switch(field string, cases Cases) StepOption {
	t := flow.Transition{Kind: flow.Switch, Field: field}
	for _, v := range slices.Sorted(maps.Keys(cases)) {
		t.Cases = append(t.Cases, flow.Case{Value: v, Target: cases[v]})
		if !slices.Contains(t.Targets, cases[v]) {
			t.Targets = append(t.Targets, cases[v])
		}
	}
	return flow.SetTransition(t)
}

// Retry retries a failed task up to times more times, waiting delay before
// the first retry. Add WithBackoff to grow the delay.
func Retry(times int, delay time.Duration) RetryPolicy {
	return flow.Retry{Times: times, Delay: delay}
}

// Catch records the step's final failure in field (a string or a Failure)
// and lets the flow go on.
func Catch(field string) StepOption { return flow.CatchOption(field) }

// Timeout fails an attempt that runs longer than d.
func Timeout(d time.Duration) StepOption { return flow.TimeoutOption(d) }

// Required makes a parameter or config mandatory.
func Required() ParamOption { return func(p *flow.ParamSettings) { p.Required = true } }

// Field names the state field that receives a parameter or config.
func Field(name string) ParamOption { return func(p *flow.ParamSettings) { p.Field = name } }

// Item returns the innermost foreach item of the running task as a T. It
// returns the zero T outside a foreach or when the item is not a T.
func Item[T any](c *Context) T {
	v, _ := c.Item()
	t, _ := v.(T)
	return t
}
