package deploy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/usage"
)

const otherDef = `{"StartAt":"x","States":{"x":{"Type":"Succeed"}}}`

// TestCreateRaceOwnership: when the create loses a race to a machine that
// is not ours to update (no Stepflow tags, another flow's, another
// owner's production deployment), create refuses it exactly as a first
// lookup would, and leaves it untouched.
func TestCreateRaceOwnership(t *testing.T) {
	for _, c := range []struct {
		name string
		tags map[string]string
		want string
	}{
		{"not-stepflow", map[string]string{"team": "data"}, "not deployed by Stepflow"},
		{"other-flow", map[string]string{deploy.TagFlow: "OtherFlow", deploy.TagOwner: "alice", deploy.TagToken: "t"}, "belongs to flow OtherFlow"},
		{"other-owner", map[string]string{deploy.TagFlow: "TestFlow", deploy.TagOwner: "bob", deploy.TagToken: "bobs-token"}, "deployed by bob"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t, false)
			e.f.Before = func(op string) {
				if op == "CreateStateMachine" && e.f.Machine("TestFlow") == nil {
					e.f.AddMachine("TestFlow", otherDef, "arn:aws:iam::123456789012:role/other", c.tags)
				}
			}
			err := e.create(t)
			if !usage.Is(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("create after losing the race: %v, want bad input saying %q", err, c.want)
			}
			m := e.f.Machine("TestFlow")
			if m.Definition != otherDef || m.RoleArn != "arn:aws:iam::123456789012:role/other" || e.f.Count("UpdateStateMachine") != 0 || e.f.Count("TagResource") != 0 {
				t.Errorf("the other machine was changed: %+v", m)
			}
			for k, v := range c.tags {
				if m.Tags[k] != v {
					t.Errorf("tag %s = %q, want %q", k, m.Tags[k], v)
				}
			}
		})
	}
}

// TestOpsOwnership: delete (even with --force), terminate and resume
// refuse a machine without Stepflow tags or of another flow, and another
// owner's production deployment without its token; with the token they
// pass the ownership check.
func TestOpsOwnership(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		tags map[string]string
		want string
	}{
		{"not-stepflow", map[string]string{}, "not deployed by Stepflow"},
		{"other-flow", map[string]string{deploy.TagFlow: "OtherFlow", deploy.TagOwner: "alice"}, "belongs to flow OtherFlow"},
		{"other-owner", map[string]string{deploy.TagFlow: "TestFlow", deploy.TagOwner: "bob", deploy.TagToken: "bobs-token"}, "--authorize"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t, false)
			e.f.AddMachine("TestFlow", otherDef, "arn:aws:iam::123456789012:role/other", c.tags)
			ops := e.ops()
			if _, err := ops.Delete(ctx, true, "alice", "", "", "TestFlow"); !usage.Is(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("delete --force: %v, want %q", err, c.want)
			}
			if _, err := ops.Terminate(ctx, "sfn-x", "alice", "", ""); !usage.Is(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("terminate: %v, want %q", err, c.want)
			}
			if err := ops.Resume(ctx, "sfn-x", "alice", "", "", e.f.Machine("TestFlow").Created); !usage.Is(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("resume: %v, want %q", err, c.want)
			}
			if e.f.Machine("TestFlow") == nil || e.f.Count("DeleteStateMachine")+e.f.Count("StopExecution")+e.f.Count("RedriveExecution") != 0 {
				t.Errorf("a refused command changed something: %q", e.f.Writes())
			}
			if c.name == "other-owner" {
				// With the token, ownership passes (the run does not exist).
				if err := ops.Resume(ctx, "sfn-x", "alice", "production:bobs-token", "", e.f.Machine("TestFlow").Created); err == nil || strings.Contains(err.Error(), "--authorize") {
					t.Errorf("resume with the token: %v", err)
				}
				if _, err := ops.Delete(ctx, true, "alice", "production:bobs-token", "", "TestFlow"); err != nil || e.f.Machine("TestFlow") != nil {
					t.Errorf("delete with the token: %v", err)
				}
			}
		})
	}
}

// TestScopeOwnership: project "a" without a branch and branch "a" without
// a project both name the state machine a-TestFlow. Whichever deploys
// second is refused, as are delete, terminate and resume of the other's
// machine, which stays as it was. A machine deployed before the scope tag
// existed is taken over, and its redeploy adds the tag.
func TestScopeOwnership(t *testing.T) {
	ctx := context.Background()
	e := setup(t, false)
	e.opts.Settings.Branch = "a"
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	m := e.f.Machine("a-TestFlow")
	if m == nil || m.Tags[deploy.TagScope] != "prefix= project= branch=a" {
		t.Fatalf("branch a: machine %+v, want a-TestFlow tagged with its scope", m)
	}
	def := m.Definition

	e.opts.Settings.Branch = ""
	b := stepflow.New[testFlow]("TestFlow").Project("a").
		Step("start", (*testFlow).step, stepflow.Next("end")).
		Step("end", (*testFlow).step)
	g, err := graph.New(flow.MustDefinitionOf(b))
	if err != nil {
		t.Fatal(err)
	}
	e.opts.Graph = g
	const want = "state machine a-TestFlow is the deployment of flow TestFlow with no name prefix, no project, branch a, and this command names it with no name prefix, project a, no branch"
	if err := e.create(t); !usage.Is(err) || !strings.Contains(err.Error(), want) {
		t.Fatalf("project a: %v, want bad input saying %q", err, want)
	}
	ops := e.ops()
	if _, err := ops.Delete(ctx, true, "alice", "", "", "TestFlow"); !usage.Is(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("delete --force: %v, want %q", err, want)
	}
	if _, err := ops.Terminate(ctx, "sfn-x", "alice", "", ""); !usage.Is(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("terminate: %v, want %q", err, want)
	}
	if err := ops.Resume(ctx, "sfn-x", "alice", "", "", m.Created); !usage.Is(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("resume: %v, want %q", err, want)
	}
	if m := e.f.Machine("a-TestFlow"); m == nil || m.Definition != def || m.Tags[deploy.TagScope] != "prefix= project= branch=a" {
		t.Errorf("the branch's machine was changed: %+v", m)
	}

	// Before the scope tag: taken over, and tagged.
	old := setup(t, false)
	old.opts.Graph = g
	old.f.AddMachine("a-TestFlow", otherDef, "arn:aws:iam::123456789012:role/other", map[string]string{deploy.TagFlow: "TestFlow", deploy.TagOwner: "alice"})
	if err := old.create(t); err != nil {
		t.Fatalf("redeploy of a machine without the scope tag: %v", err)
	}
	if m := old.f.Machine("a-TestFlow"); m.Tags[deploy.TagScope] != "prefix= project=a branch=" {
		t.Errorf("scope tag after the redeploy: %q", m.Tags[deploy.TagScope])
	}
}
