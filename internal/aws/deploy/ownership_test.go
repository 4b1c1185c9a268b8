package deploy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/aws/deploy"
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
			ops := &deploy.Ops{C: e.c, Machine: "TestFlow", Flow: "TestFlow", Prog: "testflow"}
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
