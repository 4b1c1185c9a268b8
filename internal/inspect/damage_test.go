package inspect

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// TestShowDamagedTask: a task whose record is damaged is counted as
// damaged, never as running or done; show names it, says how to repair
// it and exits 1, for the run and for the step.
func TestShowDamagedTask(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "F")
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ok := datastore.StatusSucceeded
	must(s.Runs().Put(ctx, datastore.Run{Flow: "F", ID: "r", Start: t0, Runtime: "local"}))
	must(s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "start", Task: "0", Status: ok, Start: t0, End: t0.Add(time.Second)}))
	for _, task := range []string{"0", "1", "2"} {
		must(s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "work", Task: task, Status: ok, Start: t0, End: t0.Add(2 * time.Second)}))
	}
	must(s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "end", Task: "0", Status: ok, Start: t0, End: t0.Add(3 * time.Second)}))
	must(s.Runs().PutEnd(ctx, "r", datastore.RunEnd{Status: ok, End: t0.Add(4 * time.Second)}))
	rec := filepath.Join(root, "F", "runs", "r", "work", "1", "0", "attempt.json")
	data, err := os.ReadFile(rec)
	must(err)
	data[len(data)/2] ^= 0x10
	must(os.WriteFile(rec, data, 0o644))

	c, err := client.Open(ctx, root)
	must(err)
	r, err := c.Flow("F").Run(ctx, "r")
	must(err)
	in := &Inspector{Flow: c.Flow("F"), VerifyPrefix: "f verify", ResumePrefix: "f resume"}
	for _, step := range []string{"", "work"} {
		var out bytes.Buffer
		in.Stdout = &out
		if step == "" {
			err = in.showRun(ctx, r)
		} else {
			err = in.showStep(ctx, r, pathspec.Pathspec{Run: "r", Step: step})
		}
		var fe *command.FailedError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "1 damaged task record") {
			t.Errorf("show %q: %v, want a failure naming the damage", step, err)
		}
		for _, want := range []string{"damaged: F/r/work/1: ", "F/runs/r/work/1/0/attempt.json",
			"repair: see every damaged object with 'f verify r', remove them with 'f verify --repair r', then recompute them with 'f resume --origin-run-id r'"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("show %q: no %q in\n%s", step, want, out.String())
			}
		}
		if step == "" && !strings.Contains(out.String(), "DAMAGED") {
			t.Errorf("show: no DAMAGED column\n%s", out.String())
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(line); len(f) > 2 && (f[0] == "work" || f[0] == "1") && f[1] != client.StatusDamaged {
				t.Errorf("show %q: %q: the damaged task's step or row is not damaged", step, line)
			}
		}
	}
}
