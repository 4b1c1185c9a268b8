package ui

import (
	"context"
	"errors"
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

// artifactRow is the row of one artifact in a task's table: a preview of
// a value up to previewFrom bytes, the summary of a larger one (read from
// its first bytes, so a 256 MiB array costs what an int does), or, when
// its blob is damaged or missing, that.
func artifactRow(ctx context.Context, t *client.Task, name string) (artifactView, error) {
	damaged := func(err error) bool {
		return errors.Is(err, client.ErrCorrupt) || errors.Is(err, client.ErrNotFound)
	}
	s, err := t.Summary(ctx, name)
	if damaged(err) {
		return artifactView{Name: name, Damaged: true, Preview: err.Error()}, nil
	}
	if err != nil {
		return artifactView{}, err
	}
	av := artifactView{Name: name, Type: s.Type, Encoding: s.Encoding, Size: s.Size}
	if s.Size > previewFrom {
		av.Preview = "<" + s.String() + ">"
		return av, nil
	}
	a, err := t.Artifact(ctx, name)
	if damaged(err) {
		av.Damaged, av.Preview = true, err.Error()
		return av, nil
	}
	if err != nil {
		return artifactView{}, err
	}
	av.Preview, _ = preview(a, 160)
	return av, nil
}

// previewFrom is the largest artifact a task's page reads whole for its
// preview.
const previewFrom = 64 << 10

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
