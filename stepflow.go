package stepflow

import (
	_ "time/tzdata" // schedules name IANA time zones; keep the binary self-contained

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/flowcmd"
)

// holder carries the flow definition for Stepflow's own packages; its
// field and method are unexported, so they stay out of the public API.
type holder = flow.Holder

// Flow declares a flow over the state struct T: its steps, parameters,
// configs and settings. Build one with New and chain its methods; each
// returns the Flow. Mistakes (a nil function, an option given twice, a
// parameter with no type) do not stop the declaration: they are collected
// and reported all together, with the graph's own violations, when the
// flow binary starts or a test runs the flow.
type Flow[T any] struct {
	holder
	b *flow.Builder[T]
}

// New starts the declaration of a flow called name over the state struct
// T. Every exported field of T is an artifact.
func New[T any](name string) *Flow[T] {
	b := flow.NewBuilder[T](name)
	return &Flow[T]{holder: flow.NewHolder(b.Definition()), b: b}
}

// Main runs the flow binary's command line (run, check, show, step, ...)
// and exits. Call it from the flow program's main function.
func Main[T any](f *Flow[T]) {
	flowcmd.Main(flow.MustDefinitionOf(f))
}

// Step declares the step called name, run by fn on the task's state.
// opts give its transition (Next, Branch, Foreach or Switch; none for the
// step named "end") and its settings (Retry, Catch, Timeout, Resources,
// Batch, Env). fn is usually a method expression:
//
//	func (f *MyFlow) Train(c *stepflow.Context) error { ... }
//
//	stepflow.New[MyFlow]("MyFlow").Step("train", (*MyFlow).Train, stepflow.Next("end"))
//
// An error returned by fn fails the task; so does a panic.
func (f *Flow[T]) Step(name string, fn func(*T, *Context) error, opts ...StepOption) *Flow[T] {
	var step func(*T, *flow.Context) error
	if fn != nil {
		step = func(s *T, c *flow.Context) (err error) {
			defer recoverItem(&err)
			return fn(s, &Context{c: c})
		}
	}
	f.b.Step(name, step, stepOptions(opts)...)
	return f
}

// Join declares a join step: the step that closes a Branch or a Foreach.
// fn receives the states of the tasks it joins, in split order (the
// Branch's target order, or the foreach index order); treat them as
// read-only; after an empty foreach, in is empty). The join's own state
// starts with the artifacts all its inputs share unchanged; an artifact
// they disagree on must be set by fn or named in Drop, or the join fails
// (see "Joins" in the package documentation).
//
//	func (f *MyFlow) Pick(c *stepflow.Context, in []*MyFlow) error { ... }
func (f *Flow[T]) Join(name string, fn func(*T, *Context, []*T) error, opts ...StepOption) *Flow[T] {
	var join func(*T, *flow.Context, []*T) error
	if fn != nil {
		join = func(s *T, c *flow.Context, in []*T) (err error) {
			defer recoverItem(&err)
			return fn(s, &Context{c: c}, in)
		}
	}
	f.b.Join(name, join, stepOptions(opts)...)
	return f
}

// Param declares a run parameter, a flag of the flow's run command
// (--name value). Its type is the type of def, which is also its default:
// a string, an integer, a float, a bool, a time.Duration, or any other
// type given as JSON. A nil def takes the type of the receiving field.
// The value lands in the field named by the Field option, or by default
// the parameter's name in CamelCase ("batch-size" -> BatchSize), before
// the start step runs.
func (f *Flow[T]) Param(name string, def any, help string, opts ...ParamOption) *Flow[T] {
	f.b.Param(name, def, help, paramOptions(opts)...)
	return f
}

// Config declares a config: a file read when a run starts and frozen into
// it, so every step sees the same value. It is JSON unless the
// ConfigParser option gives another format (TOML and YAML parsers are in
// config/toml and config/yaml, linked only by flows that use them). path
// is the default file, relative to the working directory; the run
// command's --config NAME=FILE gives another. The value lands in the
// field named by the Field option, or by default the name in CamelCase.
func (f *Flow[T]) Config(name, path, help string, opts ...ParamOption) *Flow[T] {
	f.b.Config(name, path, help, paramOptions(opts)...)
	return f
}

// FileParam declares a file parameter, Stepflow's IncludeFile: a local file
// that travels with the run. When a run starts, the file at path
// (relative to the working directory; the run command's --NAME PATH gives
// another) is stored in the datastore, streamed and content-addressed,
// and lands in a stepflow.File field (named by the Field option, or by
// default the name in CamelCase) that every step reads with Open,
// locally, on AWS Batch and on AWS Step Functions alike:
//
//	type TrainFlow struct {
//		Data stepflow.File
//	}
//
//	stepflow.New[TrainFlow]("TrainFlow").FileParam("data", "data/train.csv", "training data")
//
// A missing file, a directory and a file over the limit (1 GiB, or
// $STEPFLOW_MAX_FILE_PARAM_SIZE) stop the run before it starts. resume
// keeps the origin run's file; step-functions create freezes the default
// file into the deployment (--file NAME=PATH gives another), and
// step-functions trigger --NAME PATH uploads one for that run.
func (f *Flow[T]) FileParam(name, path, help string, opts ...ParamOption) *Flow[T] {
	f.b.FileParam(name, path, help, paramOptions(opts)...)
	return f
}

// Schedule runs the deployed flow on a cron schedule ("0 3 * * *") in the
// given IANA time zone ("" means UTC). It has no effect on local runs.
func (f *Flow[T]) Schedule(cron, timezone string) *Flow[T] {
	f.b.Schedule(cron, timezone)
	return f
}

// Project groups deployments of the flow under a project name.
func (f *Flow[T]) Project(name string) *Flow[T] {
	f.b.Project(name)
	return f
}

// Tags adds tags to every run of the flow.
func (f *Flow[T]) Tags(tags ...string) *Flow[T] {
	f.b.Tags(tags...)
	return f
}

// Trigger starts the deployed flow whenever the event of t arrives on
// EventBridge (make t with OnEvent); step-functions create deploys one
// EventBridge rule per trigger. The event's fields become parameters as
// t's mappings say; parameters not mapped take their defaults. Locally,
// run --event FILE starts a run as the event would.
func (f *Flow[T]) Trigger(t EventTrigger) *Flow[T] {
	f.b.Trigger(flow.Trigger{Kind: flow.OnEvent, Event: t.name, Mappings: mappings(t.maps)})
	return f
}

// TriggerOnFinish starts the deployed flow whenever a run of the deployed
// flow upstream finishes, successfully or not (OnlyOnSuccess limits it to
// successes), in the same project and --branch as this deployment unless
// InProject or InBranch say otherwise. Map gives parameters the upstream
// run's "run_id", "pathspec" (where its artifacts are), "flow" or
// "status".
func (f *Flow[T]) TriggerOnFinish(upstream string, opts ...FinishOption) *Flow[T] {
	t := flow.Trigger{Kind: flow.OnFinish, Flow: upstream}
	for _, o := range opts {
		if o != nil {
			o.finishOption(&t)
		}
	}
	f.b.Trigger(t)
	return f
}
