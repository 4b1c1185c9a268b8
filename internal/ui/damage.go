package ui

import (
	"fmt"

	"github.com/stepflow/stepflow/client"
)

// verifyCmd is the stepflow command line that verifies a run (with
// --repair: removes what is damaged).
func verifyCmd(flow, run string, repair bool) string {
	if repair {
		return fmt.Sprintf("stepflow verify --repair %s/%s", flow, run)
	}
	return fmt.Sprintf("stepflow verify %s/%s", flow, run)
}

// repairHint says how to repair damage found in a run: what the UI shows
// next to anything damaged.
func repairHint(flow, run string) string {
	return fmt.Sprintf("'%s' names every damaged object; '%s' removes them, and the flow program's 'resume --origin-run-id %s' recomputes them",
		verifyCmd(flow, run, false), verifyCmd(flow, run, true), run)
}

// lostRecord marks a task with no finished attempt in a run that
// succeeded as damaged: a run succeeds only once every task it started
// has finished, so the task lost its record (verify says the same).
func lostRecord(r *client.Run, t *client.Task) *client.Task {
	if r.Status != client.StatusSucceeded || t.Status != client.StatusRunning {
		return t
	}
	d := *t
	d.Status = client.StatusDamaged
	d.Error = fmt.Sprintf("the run succeeded, but this task has no attempt record (lost); %s names its folder", verifyCmd(r.Flow, r.ID, false))
	return &d
}
