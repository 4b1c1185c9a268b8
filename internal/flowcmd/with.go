package flowcmd

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/runner"
	"github.com/stepflow/stepflow/internal/usage"
)

// BatchOverrides are the resources --with batch:KEY=VALUE,... gives every
// step submitted to AWS Batch in one run: they replace the steps' own
// (stepflow.Resources) and the deploy settings' queue. Zero: not given.
type BatchOverrides struct {
	Memory string  // memory=4GiB: a size the job definition's MEMORY takes
	CPU    float64 // cpu=2: vCPUs
	GPU    int     // gpu=1
	Queue  string  // queue=NAME: the job queue
}

// withFlag is --with: "batch", "batch:memory=4GiB,cpu=2,gpu=1,queue=q",
// or "local" (every step on this machine, stepflow.OnBatch ones too).
type withFlag struct {
	batch     bool
	local     bool
	overrides BatchOverrides
	values    []string // as given, recorded with the run (RunOptions.With)
}

func (w *withFlag) String() string {
	switch {
	case w == nil:
		return ""
	case w.batch:
		return "batch"
	case w.local:
		return "local"
	}
	return ""
}

// Set reads one --with value; each problem names the key, the value and
// what it takes.
func (w *withFlag) Set(v string) error {
	if err := w.set(v); err != nil {
		return err
	}
	w.values = append(w.values, v)
	return nil
}

// set applies one --with value.
func (w *withFlag) set(v string) error {
	name, opts, _ := strings.Cut(v, ":")
	switch {
	case name == "local" && opts == "" && !w.batch:
		w.local = true
		return nil
	case name == "local" || name == "batch" && w.local:
		return fmt.Errorf("%q: --with local runs every step on this machine, --with batch every step on AWS Batch; give one", v)
	case name != "batch":
		return fmt.Errorf("%q: use batch (every step on AWS Batch: --with batch, or --with batch:memory=4GiB,cpu=2,gpu=1,queue=NAME) or local (every step here, stepflow.OnBatch ones too)", v)
	}
	w.batch = true
	if opts == "" {
		return nil
	}
	for _, kv := range strings.Split(opts, ",") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || val == "" {
			return fmt.Errorf("batch option %q: write KEY=VALUE with KEY memory, cpu, gpu or queue", kv)
		}
		o := &w.overrides
		switch k {
		case "memory":
			n, err := flow.ParseMiB(val)
			if err != nil || n < 4 {
				return fmt.Errorf("batch option memory=%s: give a size of at least 4 MiB, like 4096 or 8GiB", val)
			}
			o.Memory = val
		case "cpu":
			n, err := strconv.ParseFloat(val, 64)
			if err != nil || n <= 0 || math.IsInf(n, 0) || n > 256 {
				return fmt.Errorf("batch option cpu=%s: give a number of vCPUs above 0 and at most 256, like 2 or 0.5 (Fargate)", val)
			}
			o.CPU = n
		case "gpu":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > 16 {
				return fmt.Errorf("batch option gpu=%s: give a number of GPUs from 1 to 16", val)
			}
			o.GPU = n
		case "queue":
			o.Queue = val
		default:
			return fmt.Errorf("batch option %q: unknown key %s; the keys are memory, cpu, gpu and queue", kv, k)
		}
	}
	return nil
}

// BatchRequest asks the registered AWS extension for the executor of the
// tasks a local run submits to AWS Batch.
type BatchRequest struct {
	Flow  *Flow
	Graph *graph.Graph
	// Steps are the steps whose tasks run on AWS Batch, in graph order:
	// every step with --with batch, else those with stepflow.OnBatch.
	Steps []string
	// Root is the datastore root given with --datastore-root or
	// $STEPFLOW_DATASTORE_ROOT; empty: none (the deploy settings' then).
	Root string
	// RootFrom says where Root comes from: "--datastore-root" or
	// "STEPFLOW_DATASTORE_ROOT".
	RootFrom  string
	Overrides BatchOverrides
}

// BatchRuntime is what the AWS extension gives a run with steps on AWS
// Batch.
type BatchRuntime struct {
	// Exec runs one attempt of a task as an AWS Batch job.
	Exec runner.Executor
	// Store is the run's datastore, at Root: an s3:// one the jobs reach.
	Store *datastore.Store
	Root  string
	// Env is added to the environment of the tasks that run locally (the
	// S3 endpoint and region of the settings).
	Env []string
}

// batchSteps are the steps of g that run on AWS Batch: all of them with
// --with batch, else those declared with stepflow.OnBatch.
func batchSteps(g *graph.Graph, all bool) []string {
	var out []string
	for _, name := range g.Order {
		if all || g.Node(name).Step.Options.OnBatch {
			out = append(out, name)
		}
	}
	return out
}

// batchRuntime returns the runtime of the steps that run on AWS Batch, or
// nil when none does. A build without the AWS extension refuses such a run:
// a step declared to run on AWS Batch (a GPU, the data next to it) is not
// run on this machine instead behind the user's back.
//
// line is the command line after the program name, for the message.
func (r *runFlags) batchRuntime(ctx context.Context, env *command.Env, f *Flow, g *graph.Graph, line []string) (*BatchRuntime, error) {
	steps := batchSteps(g, r.with.batch)
	if len(steps) == 0 || r.with.local {
		return nil, nil
	}
	for _, e := range registered() {
		if e.Batch != nil {
			root, from := r.ds.root.Dir, "--datastore-root"
			if root == "" {
				root, from = env.Getenv("STEPFLOW_DATASTORE_ROOT"), "STEPFLOW_DATASTORE_ROOT"
			}
			return e.Batch(ctx, env, BatchRequest{Flow: f, Graph: g, Steps: steps, Root: root, RootFrom: from, Overrides: r.with.overrides})
		}
	}
	pkg := mainPackage()
	why := "--with batch submits the flow's steps to AWS Batch"
	if !r.with.batch {
		why = fmt.Sprintf("step %s runs on AWS Batch (stepflow.OnBatch)", strings.Join(steps, ", "))
		if len(steps) > 1 {
			why = fmt.Sprintf("steps %s run on AWS Batch (stepflow.OnBatch)", strings.Join(steps, ", "))
		}
	}
	fix := fmt.Sprintf("run it from the AWS build:\n  go run -tags %s %s %s\nor build it once with -tags %s", AWSBuildTag, pkg, strings.Join(line, " "), AWSBuildTag)
	if !r.with.batch {
		fix += "; or run every step here with --with local"
	}
	return nil, usage.Errorf("%s, and this build of the flow cannot submit AWS Batch jobs (it does not link the AWS SDK); %s", why, fix)
}

// openStore opens the run's datastore: the one the flags choose, or with
// steps on AWS Batch the S3 datastore their runtime names (rf.batch).
func (r *runFlags) openStore(ctx context.Context, env *command.Env, f *Flow, g *graph.Graph, line []string) (*datastore.Store, error) {
	b, err := r.batchRuntime(ctx, env, f, g, line)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return r.ds.open(ctx, env, f.Def.Name)
	}
	r.batch = b
	return b.Store, nil
}

// secretsHere is def as the check of a run's secrets sees it: the steps
// that run on this machine, with their secrets. The steps on AWS Batch
// read theirs from AWS Secrets Manager, as a deployed task does.
func secretsHere(def *flow.Flow, remote []string) *flow.Flow {
	here := *def
	here.Secrets, here.Steps = nil, nil
	for _, st := range def.Steps {
		if !slices.Contains(remote, st.Name) {
			here.Steps = append(here.Steps, &flow.Step{Name: st.Name, Options: flow.Options{Secrets: def.SecretsOf(st)}})
		}
	}
	return &here
}
