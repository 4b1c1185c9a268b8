package statemachine_test

import (
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

type platformFlow struct{ Err string }

func (f *platformFlow) step(c *stepflow.Context) error { return nil }

func platformGraph(t *testing.T, start ...stepflow.StepOption) *graph.Graph {
	t.Helper()
	g, err := graph.New(flow.MustDefinitionOf(stepflow.New[platformFlow]("PlatformFlow").
		Step("start", (*platformFlow).step, append([]stepflow.StepOption{stepflow.Next("end")}, start...)...).
		Step("end", (*platformFlow).step)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func platforms(r *statemachine.Result) string {
	var ps []string
	for _, jd := range r.JobDefinitions {
		p := jd.PlatformCapabilities[0]
		if n := jd.ContainerProperties.NetworkConfiguration; n != nil {
			p += "/" + n.AssignPublicIP
		}
		ps = append(ps, p)
	}
	return strings.Join(ps, ",")
}

// The flow-wide platform applies to the steps without their own; the
// default is EC2, the template's default compute environment.
func TestFlowPlatform(t *testing.T) {
	g := platformGraph(t, stepflow.Batch{})
	s := testSettings()
	r, err := statemachine.Compile(g, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := platforms(r); got != "EC2" {
		t.Errorf("default platform: job definitions %s, want EC2", got)
	}
	s.Platform = "FARGATE"
	s.AssignPublicIP = "DISABLED"
	if r, err = statemachine.Compile(g, s); err != nil {
		t.Fatal(err)
	}
	if got := platforms(r); got != "FARGATE/DISABLED" {
		t.Errorf("platform FARGATE: job definitions %s, want FARGATE/DISABLED", got)
	}
	// A step's own platform wins.
	if r, err = statemachine.Compile(platformGraph(t, stepflow.Batch{Platform: "EC2"}), s); err != nil {
		t.Fatal(err)
	}
	if got := platforms(r); !strings.Contains(got, "EC2") || !strings.Contains(got, "FARGATE") {
		t.Errorf("step on EC2 in a FARGATE flow: job definitions %s", got)
	}
}

// The rules of the platform are checked against the flow-wide platform too.
func TestFlowPlatformIsLinted(t *testing.T) {
	s := testSettings()
	s.Platform = "FARGATE"
	_, err := statemachine.Compile(platformGraph(t, stepflow.Resources{GPU: 1}), s)
	if err == nil || !strings.Contains(err.Error(), "cannot run on platform FARGATE") || !strings.Contains(err.Error(), "GPUs are not supported") {
		t.Errorf("GPU step on FARGATE: %v", err)
	}
	s.Platform = "LAMBDA"
	if _, err := statemachine.Compile(platformGraph(t, stepflow.Batch{}), s); err == nil || !strings.Contains(err.Error(), `platform "LAMBDA" is not known`) {
		t.Errorf("unknown platform: %v", err)
	}
	s.Platform, s.AssignPublicIP = "", "yes"
	if _, err := statemachine.Compile(platformGraph(t, stepflow.Batch{}), s); err == nil || !strings.Contains(err.Error(), "assign-public-ip") {
		t.Errorf("bad assign-public-ip: %v", err)
	}
}
