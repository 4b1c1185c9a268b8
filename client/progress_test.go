package client_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stepflow/stepflow/client"
)

func TestProgress(t *testing.T) { eachBackend(t, testProgress) }

// testProgress checks that a run's attempt index, one listing, tells what
// listing the run's objects and reading every record tells: each step's
// tasks with their latest attempts, statuses, times, widths and origins.
func testProgress(t *testing.T, c *client.Client) {
	ctx := context.Background()
	flows, err := c.Flows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checked, retried, running := 0, 0, 0
	for _, fl := range flows {
		runs, err := c.Flow(fl).Runs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			p, ok, err := r.Progress(ctx)
			if err != nil || !ok {
				t.Fatalf("Progress(%s) = %v, %v", r.Pathspec(), ok, err)
			}
			steps, err := r.Steps(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Steps) != len(steps) {
				t.Errorf("%s: index has %d steps, listing %d", r.Pathspec(), len(p.Steps), len(steps))
			}
			for _, st := range steps {
				tasks, err := st.Tasks(ctx)
				if err != nil {
					t.Fatal(err)
				}
				got := p.Steps[st.Name]
				if len(got) != len(tasks) {
					t.Errorf("%s: index has %d tasks, listing %d", st.Pathspec(), len(got), len(tasks))
					continue
				}
				for i, want := range tasks {
					g := got[i]
					key := func(t *client.Task) string {
						s := fmt.Sprintf("%s #%d %s width=%d origin=%q", t.ID, t.Attempt, t.Status, t.ForeachWidth, t.Origin)
						if t.Status != client.StatusRunning {
							s += fmt.Sprintf(" %s-%s", t.Start.UTC(), t.End.UTC())
						}
						return s
					}
					if key(g) != key(want) {
						t.Errorf("%s: index says %s, record %s", st.Pathspec(), key(g), key(want))
					}
					if g.Status == client.StatusRunning {
						running++
						if g.Start.IsZero() {
							t.Errorf("%s: a running task from the index has no start", g.Pathspec())
						}
					}
					full, err := g.Load(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if full.Error != want.Error || len(full.Artifacts()) != len(want.Artifacts()) {
						t.Errorf("%s: Load = %q %v, want %q %v", g.Pathspec(), full.Error, full.Artifacts(), want.Error, want.Artifacts())
					}
					checked++
				}
			}
			for step, earlier := range p.Earlier {
				for _, e := range earlier {
					retried++
					s, err := r.Step(ctx, step)
					if err != nil {
						t.Fatal(err)
					}
					old, err := s.TaskAttempt(ctx, e.ID, e.Attempt)
					if err != nil {
						t.Fatal(err)
					}
					if old.Status != e.Status || !old.End.Equal(e.End) {
						t.Errorf("%s attempt %d: index says %s, record %s", e.Pathspec(), e.Attempt, e.Status, old.Status)
					}
				}
			}
		}
	}
	if checked == 0 || retried == 0 || running == 0 {
		t.Errorf("checked %d tasks, %d earlier attempts, %d running: the seed should have all three", checked, retried, running)
	}
}
