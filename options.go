package stepflow

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/stepflow/stepflow/internal/flow"
)

// StepOption is a step's transition (Next, Branch, Foreach, Switch) or
// one of its settings (Retry, Catch, Timeout, Resources, Batch, Env,
// Secrets, Cache).
// Only the values of this package implement it.
type StepOption interface {
	stepOption() flow.StepOption
}

// ParamOption is an optional setting of a parameter or config (Required,
// Field). Only the values of this package implement it.
type ParamOption interface {
	paramOption(*flow.ParamSettings)
}

func stepOptions(opts []StepOption) []flow.StepOption {
	out := make([]flow.StepOption, 0, len(opts))
	for _, o := range opts {
		if o != nil {
			out = append(out, o.stepOption())
		}
	}
	return out
}

func paramOptions(opts []ParamOption) []flow.ParamOption {
	out := make([]flow.ParamOption, 0, len(opts))
	for _, o := range opts {
		if o != nil {
			out = append(out, o.paramOption)
		}
	}
	return out
}

// stepOpt is a StepOption made from an internal one.
type stepOpt struct{ o flow.StepOption }

func (s stepOpt) stepOption() flow.StepOption { return s.o }

// paramOpt is a ParamOption made from a function.
type paramOpt func(*flow.ParamSettings)

func (p paramOpt) paramOption(s *flow.ParamSettings) { p(s) }

// Next makes the step continue with one successor.
func Next(step string) StepOption {
	return stepOpt{flow.SetTransition(flow.Transition{Kind: flow.Next, Targets: []string{step}})}
}

// Branch makes the step continue with every target in parallel; a Join
// closes the branches and receives their states in this order.
func Branch(steps ...string) StepOption {
	return stepOpt{flow.SetTransition(flow.Transition{Kind: flow.Branch, Targets: slices.Clone(steps)})}
}

// Foreach runs step once per element of the slice field; the task's
// element is Item, its position Context.Index. A Join closes the foreach
// and receives the tasks' states in index order.
func Foreach(field, step string) StepOption {
	return stepOpt{flow.SetTransition(flow.Transition{Kind: flow.Foreach, Targets: []string{step}, Field: field})}
}

// Cases maps values of a switch field, formatted with fmt.Sprint, to
// target steps.
type Cases map[string]string

// Switch continues with the step that cases maps the field's value to (the
// value is formatted with fmt.Sprint). A value with no case fails the task.
// The targets need no join: they continue on their own.
func Switch(field string, cases Cases) StepOption {
	t := flow.Transition{Kind: flow.Switch, Field: field}
	for _, v := range slices.Sorted(maps.Keys(cases)) {
		t.Cases = append(t.Cases, flow.Case{Value: v, Target: cases[v]})
		if !slices.Contains(t.Targets, cases[v]) {
			t.Targets = append(t.Targets, cases[v])
		}
	}
	return stepOpt{flow.SetTransition(t)}
}

// RetryPolicy says how often and how soon a failed task is tried again.
// It is a StepOption; make one with Retry.
type RetryPolicy struct {
	Times   int           // retries after the first attempt, 0 to 9 (each one a new AWS Batch job)
	Delay   time.Duration // wait before the first retry
	Backoff float64       // multiplier applied to Delay after each retry; 0 or 1: constant
}

// Retry retries a failed task up to times more times, waiting delay before
// the first retry. Add WithBackoff to grow the delay. Context.Attempt
// tells a step which attempt it is.
func Retry(times int, delay time.Duration) RetryPolicy {
	return RetryPolicy{Times: times, Delay: delay}
}

// WithBackoff returns the policy with the delay multiplied by factor
// after every retry (2 doubles it).
func (r RetryPolicy) WithBackoff(factor float64) RetryPolicy {
	r.Backoff = factor
	return r
}

func (r RetryPolicy) stepOption() flow.StepOption { return flow.Retry(r) }

// Catch records the step's final failure (after its retries) in field, of
// type string (the error message) or Failure, and lets the flow go on as
// if the step had succeeded. A foreach or switch step cannot catch.
func Catch(field string) StepOption { return stepOpt{flow.CatchOption(field)} }

// Drop declares that a join does not take the named artifacts from its
// inputs: in the join they start at their zero value, whatever the number
// of inputs (none, one or many) and whether or not the inputs agree, and
// the steps after the join see zero unless the join sets them. Without it,
// a join whose inputs disagree on an artifact must set that artifact
// itself, or its task fails naming it: a join never zeroes a value
// silently. stepflowtest.CheckJoins finds, in a test, every artifact that
// needs one or the other.
func Drop(fields ...string) StepOption { return stepOpt{flow.DropOption(fields)} }

// OnBatch runs the step's tasks as AWS Batch jobs in a local run, from
// the flow image and with the S3 datastore of the deploy settings, while
// the other steps run on this machine (docs/runtime.md, "Steps on AWS
// Batch"); run --with batch submits every step so. It needs the AWS build
// of the flow (-tags stepflow_aws): a plain build refuses to run the flow
// rather than run the step here, unless run --with local asks for that.
// Deployed flows run every step on AWS Batch anyway; stepflowtest and spin
// run the step in-process or locally like any other.
func OnBatch() StepOption { return stepOpt{flow.OnBatchOption{}} }

// Timeout fails an attempt that runs longer than d (at least a second).
// The step's Context.Context is cancelled when the time is up.
func Timeout(d time.Duration) StepOption { return stepOpt{flow.TimeoutOption(d)} }

// Cache lets a run reuse a task of an earlier run instead of running it
// again, when the task's cache key is the same: the step and its options,
// the flow's code, the content of every artifact the task inherits, the
// run's parameters and configs, and for a foreach body its item and index.
// Only a succeeded attempt is reused; a hit runs no process and shares the
// earlier task's artifacts. With no argument the flow binary's identity
// stands for the code, so any rebuild invalidates; Cache("v3") uses the
// version string instead, so that a rebuilt binary reuses the entries of
// the same version: change it whenever the step's code changes what it
// computes. Give at most one version. Runs take --no-cache and
// --refresh-cache STEP (docs/runtime.md, "Step caching").
func Cache(version ...string) StepOption {
	switch len(version) {
	case 0:
		return stepOpt{flow.CacheOption("")}
	case 1:
		if version[0] == "" {
			return stepOpt{badStepOption("has Cache(\"\"): give a version, or call Cache() for the binary's identity")}
		}
		return stepOpt{flow.CacheOption(version[0])}
	}
	return stepOpt{badStepOption(fmt.Sprintf("has Cache with %d versions; give one, e.g. Cache(%q)", len(version), version[0]))}
}

// badStepOption is an option that records its mistake for the linter.
func badStepOption(msg string) flow.StepOption {
	return flow.StepOptionFunc(func(*flow.Step) error { return errors.New(msg) })
}

// Failure is what a catch field of this type receives when a step fails
// for good (see Catch).
type Failure struct {
	Step     string // the step that failed
	Error    string // the error message, or the exit status of a crashed task
	Attempts int    // how many attempts were made
}

// Resources is what a task needs from the machine it runs on. It is a
// StepOption. Sizes are strings with a binary or decimal unit ("512MiB",
// "8GiB", "2GB") or a plain number of MiB ("4096"). Local runs ignore it.
type Resources struct {
	CPU          float64 // vCPUs; fractions are allowed on Fargate
	Memory       string  // memory limit
	GPU          int     // number of GPUs
	SharedMemory string  // /dev/shm size
	Disk         string  // ephemeral storage (Fargate) or scratch space
}

func (r Resources) stepOption() flow.StepOption { return flow.Resources(r) }

// Batch holds a step's AWS Batch settings. It is a StepOption. Its fields
// override the deployment's defaults; local runs ignore them.
type Batch struct {
	Image         string            // base image of the step's flow image (e.g. one with CUDA); default: the deployment's
	Queue         string            // job queue name or ARN
	JobRole       string            // IAM role ARN the task assumes
	ExecutionRole string            // IAM role ARN for ECS (required on Fargate)
	Platform      string            // "EC2" (default) or "FARGATE"
	Tmpfs         []Tmpfs           // tmpfs mounts (EC2 only)
	EFS           []EFSVolume       // EFS volumes
	HostVolumes   []HostVolume      // host paths mounted into the container (EC2 only)
	Swap          string            // max swap size (EC2 only)
	Swappiness    *int              // 0..100 (EC2 only)
	LogDriver     string            // e.g. "awslogs"
	LogOptions    map[string]string // options of the log driver
	Tags          map[string]string // tags of the job
	Inferentia    int               // number of AWS Inferentia devices
	Trainium      int               // number of AWS Trainium devices
	EFA           int               // number of Elastic Fabric Adapter devices
	Privileged    bool              // run the container privileged (EC2 only)
}

func (b Batch) stepOption() flow.StepOption {
	out := flow.Batch{
		Image: b.Image, Queue: b.Queue, JobRole: b.JobRole, ExecutionRole: b.ExecutionRole,
		Platform: b.Platform, Swap: b.Swap, LogDriver: b.LogDriver,
		LogOptions: maps.Clone(b.LogOptions), Tags: maps.Clone(b.Tags),
		Inferentia: b.Inferentia, Trainium: b.Trainium, EFA: b.EFA, Privileged: b.Privileged,
	}
	if b.Swappiness != nil {
		v := *b.Swappiness
		out.Swappiness = &v
	}
	for _, t := range b.Tmpfs {
		t.Opts = slices.Clone(t.Opts)
		out.Tmpfs = append(out.Tmpfs, flow.Tmpfs(t))
	}
	for _, v := range b.EFS {
		out.EFS = append(out.EFS, flow.EFSVolume(v))
	}
	for _, v := range b.HostVolumes {
		out.HostVolumes = append(out.HostVolumes, flow.HostVolume(v))
	}
	return out
}

// Tmpfs is one tmpfs mount of an AWS Batch job (Batch.Tmpfs).
type Tmpfs struct {
	Path string   // mount point in the container
	Size string   // size, e.g. "1GiB"
	Opts []string // mount options, e.g. "noexec"
}

// EFSVolume mounts an EFS file system into an AWS Batch job (Batch.EFS).
type EFSVolume struct {
	FileSystemID string // fs-...
	Path         string // mount point in the container
	RootDir      string // directory of the file system to mount; default "/"
	ReadOnly     bool
}

// HostVolume mounts a path of the host into an AWS Batch job
// (Batch.HostVolumes).
type HostVolume struct {
	HostPath string // path on the host
	Path     string // mount point in the container
	ReadOnly bool
}

// Env sets environment variables of a step's tasks. It is a StepOption;
// several Env options add up. Locally, a step with Env runs in its own
// process even with --in-process.
type Env map[string]string

func (e Env) stepOption() flow.StepOption { return flow.Env(maps.Clone(e)) }

// Required makes a parameter mandatory: a run refuses to start without
// it, and its default is ignored.
func Required() ParamOption {
	return paramOpt(func(p *flow.ParamSettings) { p.Required = true })
}

// Field names the state field that receives a parameter or config,
// instead of the name in CamelCase.
func Field(name string) ParamOption {
	return paramOpt(func(p *flow.ParamSettings) { p.Field = name })
}

// ConfigParser makes a config read its file with parse instead of as
// JSON: toml.Parse from github.com/stepflow/stepflow/config/toml, yaml.Parse
// from config/yaml, or any function that decodes into the pointer it is
// given and refuses keys the type does not have.
func ConfigParser(parse func(data []byte, v any) error) ParamOption {
	return paramOpt(func(p *flow.ParamSettings) { p.Parse = parse })
}

// The settings are step options.
var (
	_ StepOption = RetryPolicy{}
	_ StepOption = Resources{}
	_ StepOption = Batch{}
	_ StepOption = Env{}
)

// EventTrigger is a user event that starts the deployed flow (see
// Flow.Trigger). Make one with OnEvent.
type EventTrigger struct {
	name string
	maps []Mapping
}

// OnEvent is the user event called name, as step-functions send-event
// NAME publishes it (source "stepflow", detail-type NAME); maps give
// parameters values from the event.
func OnEvent(name string, maps ...Mapping) EventTrigger {
	return EventTrigger{name: name, maps: slices.Clone(maps)}
}

// Mapping gives a parameter a value from the event that starts a run
// (see Map). It is also a FinishOption.
type Mapping struct {
	param, path string
}

// Map gives the parameter param the value at path in the event: a dotted
// path into an EventBridge event ("detail.date", "id", "time"), or for
// TriggerOnFinish one of "run_id", "pathspec", "flow" and "status". The
// value reaches the parameter as its command-line flag would (the number
// 5 as "5"), so only parameters of a string, number, bool or duration
// type can be mapped.
func Map(param, path string) Mapping { return Mapping{param: param, path: path} }

func (m Mapping) finishOption(t *flow.Trigger) {
	t.Mappings = append(t.Mappings, flow.Mapping{Param: m.param, Path: m.path})
}

// FinishOption is an option of TriggerOnFinish: Map, OnlyOnSuccess,
// InProject or InBranch.
type FinishOption interface {
	finishOption(*flow.Trigger)
}

// finishOpt is a FinishOption made from a function.
type finishOpt func(*flow.Trigger)

func (o finishOpt) finishOption(t *flow.Trigger) { o(t) }

// OnlyOnSuccess limits TriggerOnFinish to upstream runs that succeeded.
func OnlyOnSuccess() FinishOption { return finishOpt(func(t *flow.Trigger) { t.OnlySuccess = true }) }

// InProject makes TriggerOnFinish listen to the upstream flow deployed in
// project (default: this flow's project); InProject("") to an upstream
// flow that has no project.
func InProject(project string) FinishOption {
	return finishOpt(func(t *flow.Trigger) { t.Project, t.NoProject = project, project == "" })
}

// InBranch makes TriggerOnFinish listen to the upstream flow deployed
// with --branch branch (default: this deployment's own branch).
func InBranch(branch string) FinishOption {
	return finishOpt(func(t *flow.Trigger) { t.Branch = branch })
}

func mappings(ms []Mapping) []flow.Mapping {
	var out []flow.Mapping
	for _, m := range ms {
		out = append(out, flow.Mapping{Param: m.param, Path: m.path})
	}
	return out
}
