package sfncmd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// paramsDir returns a directory holding examples/params' config file at
// the path the flow reads it from.
func paramsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "params", "settings.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "examples", "params"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "examples", "params", "settings.toml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// step-functions plan prints the run's counts, its price and its limits;
// --json the same as data.
func TestPlan(t *testing.T) {
	dir := paramsDir(t)
	out, stderr, code := runParams(t, dir, "step-functions", "plan", "--duration", "heavy=1h")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	// Six steps in a chain: Init, Init.Merge and one Task each.
	for _, want := range []string{
		"plan of one run of flow ParamsFlow",
		"--duration heavy=1h0m0s",
		"Step Functions: 8 transitions x $0.000025 = $0.000200",
		"6 Batch jobs, 6 SubmitJob calls",
		"EC2: 4.667 vCPU-hours", // heavy: 4 vCPU for 1h; four others 1 vCPU for 10m
		// report runs on Fargate: 0.5 vCPU, 1 GiB for 10m.
		"Fargate vCPU: 0.083 vCPU-hours x $0.040478 = $0.003373",
		"Fargate memory: 0.167 GB-hours x $0.004445 = $0.000741",
		"S3 requests: not estimated",
		"no limit broken",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	js, stderr, code := runParams(t, dir, "step-functions", "plan", "--json")
	if code != 0 {
		t.Fatalf("plan --json: exit %d\n%s", code, stderr)
	}
	var p struct{ Transitions, Jobs, SubmitJobs, Helpers int }
	if err := json.Unmarshal([]byte(js), &p); err != nil || p.Transitions != 8 || p.Jobs != 6 || p.SubmitJobs != 6 || p.Helpers != 2 {
		t.Errorf("plan --json: %+v %v\n%s", p, err, js)
	}
}

// Bad assumptions: one message each (what, why, how), exit 2.
func TestPlanBadInput(t *testing.T) {
	dir := paramsDir(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--width", "start=3"}, "--width start=3: start is not a foreach step of flow ParamsFlow (foreach steps: none)"},
		{[]string{"--width", "start=many"}, "--width start=many: the width is a number of items, 0 or more (--width start=1000)"},
		{[]string{"--duration", "heavy=long"}, "--duration heavy=long: the run time is a positive duration (--duration heavy=10m)"},
		{[]string{"--duration", "nope=1m"}, "flow ParamsFlow has no step nope"},
		{[]string{"--switch", "start"}, `"start": write STEP=VALUE`},
	} {
		_, stderr, code := runParams(t, dir, append([]string{"step-functions", "plan"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("plan %v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}
}
