package deploy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/usage"
)

// A flow whose platform its queue cannot run is refused before anything
// is written, with one message naming each step, its queue and the fix.
func TestCreateRefusesPlatformTheQueueCannotRun(t *testing.T) {
	e := setup(t, false)
	e.f.AddQueue("fargate-only", "FARGATE_SPOT")
	e.opts.Settings.Queue = "fargate-only"
	e.opts.Settings.ExecutionRole = "arn:aws:iam::123456789012:role/ecs"
	err := e.create(t)
	var ue *usage.Error
	if !errors.As(err, &ue) {
		t.Fatalf("create = %v, want a usage error", err)
	}
	for _, want := range []string{"2 step(s) cannot run on their job queue", "step start runs on EC2, but its job queue fargate-only runs FARGATE only",
		"step end runs on EC2", "STEPFLOW_PLATFORM"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if w := e.f.Writes(); len(w) > 0 {
		t.Errorf("a refused create wrote %q", w)
	}
	if e.f.Count("describecomputeenvironments") != 1 {
		t.Errorf("create did not read the compute environments")
	}

	// The flow-wide platform (from the stack's Platform output) fixes it.
	e.opts.Settings.Platform = "FARGATE"
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	for _, jd := range e.f.JobDefinitions() {
		if in := e.f.JobDefinitionInput(jd); in == nil || len(in.PlatformCapabilities) != 1 || in.PlatformCapabilities[0] != "FARGATE" {
			t.Errorf("job definition %s is not for FARGATE: %+v", jd, in)
		}
	}
}

func TestCreateRefusesMissingQueue(t *testing.T) {
	e := setup(t, false)
	e.opts.Settings.Queue = "nope"
	err := e.create(t)
	if err == nil || !strings.Contains(err.Error(), "job queue nope (steps start, end) does not exist") {
		t.Fatalf("create = %v", err)
	}
	// The deployment's own queue: the stack may be gone, and what it kept
	// blocks a new one of the same Prefix.
	if !usage.Is(err) || !strings.Contains(err.Error(), "kept its bookkeeping table (<Prefix>-bookkeeping) and log group (/<Prefix>/step-functions)") {
		t.Errorf("create = %v; want the retained resources named", err)
	}
	if w := e.f.Writes(); len(w) > 0 {
		t.Errorf("a refused create wrote %q", w)
	}
}

// A step on a queue of its own: the template's role may not submit to it,
// so create prints the statement to add.
func TestCreateWarnsAboutPerStepQueues(t *testing.T) {
	e := setup(t, false)
	e.f.AddQueue("gpu", "EC2")
	b := stepflow.New[testFlow]("TestFlow").
		Step("start", (*testFlow).step, stepflow.Next("end"), stepflow.Batch{Queue: "gpu"}).
		Step("end", (*testFlow).step)
	g, err := graph.New(flow.MustDefinitionOf(b))
	if err != nil {
		t.Fatal(err)
	}
	e.opts.Graph = g
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	want := `warning: step start submits to job queue gpu, which the Step Functions role of deploy/cloudformation/stepflow.yaml may not use; add this statement to its policy (docs/iam.md, "Per-step queues"): {"Action":"batch:SubmitJob","Effect":"Allow","Resource":"arn:aws:batch:us-east-1:123456789012:job-queue/gpu"}`
	if !strings.Contains(e.out.String(), want) {
		t.Errorf("create printed:\n%s\nwant the line\n%s", e.out, want)
	}
	if strings.Count(e.out.String(), "submits to job queue") != 1 {
		t.Errorf("the deployment's own queue was warned about:\n%s", e.out)
	}
}
