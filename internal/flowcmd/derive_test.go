package flowcmd_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

// TestDerivedInputs re-runs every task of every example through the step
// command without --input-paths, as a Step Functions task does, and checks
// that the inputs it derives from the graph and the datastore are the ones
// the local runtime passed: same tasks, same (split) order.
func TestDerivedInputs(t *testing.T) {
	ctx := context.Background()
	for _, ex := range exampleRuns {
		t.Run(ex.name, func(t *testing.T) {
			root := t.TempDir()
			bin := filepath.Join(binDir, ex.example)
			args := append([]string{"run", "--quiet", "--in-process", "--datastore-root", root}, ex.args...)
			if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			b, err := local.New(root, local.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var flows []string
			if err := b.Dirs(ctx, "", func(f string) error { flows = append(flows, f); return nil }); err != nil || len(flows) != 1 {
				t.Fatalf("flows in the datastore: %q %v", flows, err)
			}
			st := datastore.NewStore(b, flows[0])
			runs, err := st.Runs().List(ctx)
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs: %v %v", runs, err)
			}
			run := runs[0].ID
			steps, err := st.Attempts().Steps(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, step := range steps {
				tasks, err := st.Attempts().Tasks(ctx, run, step)
				if err != nil {
					t.Fatal(err)
				}
				for _, task := range tasks {
					first, err := st.Attempts().Get(ctx, run, step, task, 0)
					if err != nil {
						t.Fatal(err)
					}
					cmd := exec.Command(bin, "step", step, "--run-id", run, "--task-id", task, "--attempt", "90", "--datastore-root", root)
					if out, err := cmd.CombinedOutput(); err != nil {
						if _, ok := err.(*exec.ExitError); !ok || cmd.ProcessState.ExitCode() != 1 {
							t.Fatalf("step %s/%s: %v\n%s", step, task, err, out)
						}
					}
					again, err := st.Attempts().Get(ctx, run, step, task, 90)
					if err != nil {
						t.Fatalf("step %s/%s wrote no record: %v", step, task, err)
					}
					if !slices.Equal(again.Inputs, first.Inputs) {
						t.Errorf("%s/%s: derived inputs %v, runtime passed %v", step, task, again.Inputs, first.Inputs)
					}
					checked++
				}
			}
			if checked < 3 {
				t.Errorf("checked only %d tasks", checked)
			}
		})
	}
}
