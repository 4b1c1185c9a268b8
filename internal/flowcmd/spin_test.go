package flowcmd_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/testbin"
)

const spinFlow = "github.com/stepflow/stepflow/internal/flowcmd/testdata/spinflow"

// spinBins builds the spin test flow with the steps' code of factor.
func spinBin(t *testing.T, factor string) string {
	t.Helper()
	return testbin.MustBuild(t, testbin.Options{Flags: []string{"-ldflags=-X main.factor=" + factor}}, "./internal/flowcmd/testdata/spinflow")[spinFlow]
}

type spinResult struct {
	stdout, stderr string
	code           int
}

func spinRun(t *testing.T, bin, ds string, args ...string) spinResult {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--datastore-root", ds)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := spinResult{stdout.String(), stderr.String(), 0}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustSpin(t *testing.T, bin, ds string, args ...string) spinResult {
	t.Helper()
	r := spinRun(t, bin, ds, args...)
	if r.code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// spin re-runs one step with its changed code against a past run's
// inputs: a foreach body's one task or all of them, and a join with all
// its inputs. The new result is printed and stored in a new run marked
// as a spin, which has no other step; the past run is unchanged.
func TestSpin(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	v1, v2 := spinBin(t, "1"), spinBin(t, "10")
	mustSpin(t, v1, ds, "run", "--scale", "2", "--quiet")
	past := strings.TrimSpace(mustSpin(t, v1, ds, "dump", "--json", "latest/join/0", "Total").stdout)
	if past != "12" { // (1+2+3)*2
		t.Fatalf("the past run's total is %s, want 12", past)
	}
	runs := func() []map[string]any {
		var out []map[string]any
		if err := json.Unmarshal([]byte(mustSpin(t, v1, ds, "runs", "--json").stdout), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	pastID := runs()[0]["id"].(string)

	// One task of the foreach body, with the new code: 3 letters * 10 * scale 2.
	r := mustSpin(t, v2, ds, "spin", "measure", "--from", pastID+"/2")
	if !strings.Contains(r.stdout, "Length: 60\n") || !strings.Contains(r.stderr, "measured ccc\n") {
		t.Errorf("spin measure --from %s/2 printed\n%s%s\nwant Length: 60 after measuring ccc", pastID, r.stdout, r.stderr)
	}
	if got := strings.TrimSpace(mustSpin(t, v1, ds, "dump", "--json", pastID+"/measure/2", "Length").stdout); got != "6" {
		t.Errorf("the past run's measure/2 has Length %s after the spin, want 6 (unchanged)", got)
	}
	spinRec := runs()[0]
	spinID := spinRec["id"].(string)
	if spinID == pastID || !slices.Contains(spinRec["tags"].([]any), any("spin")) || spinRec["status"] != "succeeded" {
		t.Errorf("the newest run is %v; want a succeeded run tagged spin", spinRec)
	}
	if r := mustSpin(t, filepath.Join(binDir, "stepflow"), ds, "show", "SpinFlow/"+spinID); !strings.Contains(r.stdout, "Spin:      step re-run against the inputs of "+pastID+"/measure/2") {
		t.Errorf("show %s does not say it is a spin:\n%s", spinID, r.stdout)
	}
	for _, step := range []string{"start", "join", "end"} {
		if r := spinRun(t, v1, ds, "dump", spinID+"/"+step+"/0"); r.code == 0 {
			t.Errorf("the spin run has a task of step %s: spin ran more than its step", step)
		}
	}

	// Every task, the default run: the newest that is not a spin.
	r = mustSpin(t, v2, ds, "spin", "measure")
	for _, want := range []string{"/measure/0:\n", "Length: 20\n", "/measure/1:\n", "Length: 40\n", "/measure/2:\n", "Length: 60\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("spin measure printed\n%s\nwant %q", r.stdout, want)
		}
	}
	if !strings.Contains(r.stderr, "against the inputs of "+pastID+"/measure (3 task(s))") {
		t.Errorf("spin measure: %s", r.stderr)
	}

	// A join, with every input of the past run: (2+4+6)*10.
	r = mustSpin(t, v2, ds, "spin", "join", "--from", "latest")
	if !strings.Contains(r.stdout, "Total: 120\n") || !strings.Contains(r.stdout, "Lengths: [\n  2,\n  4,\n  6\n]") {
		t.Errorf("spin join printed\n%s", r.stdout)
	}
	if got := strings.TrimSpace(mustSpin(t, v1, ds, "dump", "--json", pastID+"/join/0", "Total").stdout); got != "12" {
		t.Errorf("the past run's total is %s after the spins, want 12", got)
	}

	// resume passes over spin runs, and refuses to resume one.
	if r := spinRun(t, v1, ds, "resume", "--origin-run-id", spinID); r.code != 2 || !strings.Contains(r.stderr, "resume: run "+spinID+" is a spin of "+pastID+"/measure/2") {
		t.Errorf("resume of a spin run: exit %d\n%s", r.code, r.stderr)
	}
	if r := mustSpin(t, v1, ds, "resume", "--quiet"); !strings.Contains(r.stdout, "succeeded") {
		t.Errorf("resume after spins: %s%s", r.stdout, r.stderr)
	}
	if last := runs()[0]; last["origin"] != pastID {
		t.Errorf("resume resumed %v, want the past run %s", last["origin"], pastID)
	}

	// The start step: the past run's parameters.
	r = mustSpin(t, v2, ds, "spin", "start")
	if !strings.Contains(r.stdout, "Scale: 2\n") {
		t.Errorf("spin start printed\n%s\nwant the past run's Scale 2", r.stdout)
	}
}

// A step that fails in a spin exits 1 with its error, and its run is
// recorded failed; bad input exits 2 with one sentence.
func TestSpinFailures(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	v1, bad := spinBin(t, "1"), spinBin(t, "fail")
	if r := spinRun(t, v1, ds, "spin", "measure"); r.code != 2 || !strings.Contains(r.stderr, "spin: flow SpinFlow has no runs in this datastore, so no inputs to re-run measure with; start one with") {
		t.Errorf("spin before any run: exit %d\n%s", r.code, r.stderr)
	}
	mustSpin(t, v1, ds, "run", "--quiet")
	r := spinRun(t, bad, ds, "spin", "measure", "--from", "latest/1")
	if r.code != 1 || !strings.Contains(r.stderr, "/measure/1: step measure: measure of bb failed") {
		t.Errorf("a failing spin: exit %d\n%s", r.code, r.stderr)
	}
	var runs []map[string]any
	if err := json.Unmarshal([]byte(mustSpin(t, v1, ds, "runs", "--json").stdout), &runs); err != nil {
		t.Fatal(err)
	}
	if runs[0]["status"] != "failed" || runs[0]["spin"] == nil {
		t.Errorf("the failed spin's run is %v; want status failed and its spin", runs[0])
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"spin", "train"}, `spin: step "train" does not exist in flow SpinFlow; its steps: start, measure, join, end`},
		{[]string{"spin", "measure", "--from", "latest/7"}, "has no task 7 of step measure; its tasks: 0, 1, 2"},
		{[]string{"spin", "measure", "--from", "20990101-000000-aaaaaa"}, "spin: run 20990101-000000-aaaaaa of flow SpinFlow does not exist"},
		{[]string{"spin", "measure", "--from", "a/b/c"}, `spin: --from "a/b/c": give RUN or RUN/TASK`},
		{[]string{"spin"}, "spin takes one STEP, got 0 arguments"},
	} {
		r := spinRun(t, v1, ds, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.msg) || strings.Contains(r.stderr, "panic") {
			t.Errorf("%s: exit %d\n%s\nwant exit 2 and %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.msg)
		}
	}
}
