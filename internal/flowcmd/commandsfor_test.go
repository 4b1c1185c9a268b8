package flowcmd

import (
	"testing"

	"github.com/stepflow/stepflow/internal/flow"
)

// TestCommandsForStep checks that a task process builds the step command
// alone, the same command as in the full list, and every other command
// line gets the full list.
func TestCommandsForStep(t *testing.T) {
	f := &Flow{Def: &flow.Flow{Name: "F"}}
	all := Commands(f)
	var step string
	for _, c := range all {
		if c.Name == "step" {
			step = c.UsageLine + c.Long
		}
	}
	got := commandsFor(f, []string{"step", "start", "--run-id", "r"})
	if len(got) != 1 || got[0].Name != "step" || got[0].UsageLine+got[0].Long != step {
		t.Fatalf("commandsFor(step ...) = %d commands, first %q; want the step command alone", len(got), got[0].Name)
	}
	for _, args := range [][]string{nil, {"run"}, {"--help"}, {"steps"}, {"show", "step"}} {
		if got := commandsFor(f, args); len(got) != len(all) {
			t.Errorf("commandsFor(%q) = %d commands, want all %d", args, len(got), len(all))
		}
	}
}
