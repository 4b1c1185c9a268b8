package sfncmd_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/testbin"
	"github.com/stepflow/stepflow/internal/testproc"
)

// binDir holds the AWS build of examples/params, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stepflow-sfncmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = filepath.Join(dir, "bin")
	// Shared with the other test packages (testbin).
	if err := testbin.Dir(binDir, testbin.Options{Tags: []string{"stepflow_aws"}}, "./examples/params"); err != nil {
		fmt.Fprintf(os.Stderr, "building the AWS build of examples/params: %v\n", err)
		return 1
	}
	return m.Run()
}

// sfnEnv are the settings step-functions create --only-json needs.
func sfnEnv(home string) []string {
	return []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"STEPFLOW_DATASTORE_ROOT=s3://bucket/root",
		"STEPFLOW_BATCH_QUEUE=queue",
		"STEPFLOW_IMAGE_REPOSITORY=123456789012.dkr.ecr.us-east-1.amazonaws.com/stepflow",
		"STEPFLOW_BATCH_JOB_ROLE=arn:aws:iam::123456789012:role/stepflow-task",
		"STEPFLOW_BATCH_EXECUTION_ROLE=arn:aws:iam::123456789012:role/stepflow-ecs",
	}
}

// runParams runs the params binary in dir and returns stdout, stderr and
// the exit code.
func runParams(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "params"), args...)
	cmd.Dir = dir
	cmd.Env = sfnEnv(dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	}
	t.Fatal(err)
	return "", "", 0
}

// startConfigs returns the STEPFLOW_CONFIGS values of a compiled definition.
func startConfigs(t *testing.T, def string) []map[string]string {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(def), &doc); err != nil {
		t.Fatalf("definition: %v\n%s", err, def)
	}
	var out []map[string]string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["Name"] == "STEPFLOW_CONFIGS" {
				var m map[string]string
				if err := json.Unmarshal([]byte(x["Value"].(string)), &m); err != nil {
					t.Fatalf("STEPFLOW_CONFIGS %v: %v", x["Value"], err)
				}
				out = append(out, m)
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	return out
}

// step-functions create --only-json freezes the configs as a local run
// does: the start task's overrides name the same blob hash the local run
// records; the output is byte-identical run to run; a config file that is
// missing or does not decode is a usage error (exit 2) naming the config.
func TestCreateFreezesConfigs(t *testing.T) {
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

	// The hash a local run freezes.
	if _, stderr, code := runParams(t, dir, "run", "--name", "ada", "--quiet", "--datastore-root", filepath.Join(dir, "ds")); code != 0 {
		t.Fatalf("local run: exit %d\n%s", code, stderr)
	}
	runs, _ := filepath.Glob(filepath.Join(dir, "ds", "ParamsFlow", "runs", "*", "run.json"))
	if len(runs) != 1 {
		t.Fatalf("local runs: %v", runs)
	}
	data, _ := os.ReadFile(runs[0])
	var run struct{ Configs map[string]string }
	if err := json.Unmarshal(data, &run); err != nil || len(run.Configs["settings"]) != 64 {
		t.Fatalf("local run record: %v\n%s", err, data)
	}

	def, stderr, code := runParams(t, dir, "step-functions", "create", "--only-json")
	if code != 0 {
		t.Fatalf("create --only-json: exit %d\n%s", code, stderr)
	}
	got := startConfigs(t, def)
	// The start task only (params has no catch on start).
	if len(got) != 1 || len(got[0]) != 1 || got[0]["settings"] != run.Configs["settings"] {
		t.Errorf("STEPFLOW_CONFIGS %v; the local run froze %v", got, run.Configs)
	}
	again, _, _ := runParams(t, dir, "step-functions", "create", "--only-json")
	if again != def {
		t.Error("two compiles of the same flow and config differ")
	}
	if _, err := os.Stat(filepath.Join(dir, ".stepflow")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("create --only-json wrote a datastore: %v", err)
	}

	// Another file, given with --config: another hash.
	other := filepath.Join(dir, "other.json")
	os.WriteFile(other, []byte(`{"prefix": "# ", "scale": 2}`), 0o644)
	def2, stderr, code := runParams(t, dir, "step-functions", "create", "--only-json", "--config", "settings="+other)
	if code != 0 {
		t.Fatalf("create --only-json --config: exit %d\n%s", code, stderr)
	}
	if got := startConfigs(t, def2); len(got) != 1 || got[0]["settings"] == run.Configs["settings"] || len(got[0]["settings"]) != 64 {
		t.Errorf("--config settings=other.json: STEPFLOW_CONFIGS %v", got)
	}

	// Problems with the config files: exit 2, the config named, no JSON.
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"prefix": "x", "typo": 1}`), 0o644)
	for _, tc := range []struct {
		name string
		dir  string
		args []string
		want []string
	}{
		{"missing file", dir, []string{"--config", "settings=missing.toml"}, []string{"config settings", "missing.toml", "--config settings=FILE"}},
		{"missing default file", t.TempDir(), nil, []string{"config settings", "examples/params/settings.toml"}},
		{"undecodable", dir, []string{"--config", "settings=bad.json"}, []string{"config settings", "bad.json", `unknown field "typo"`}},
		{"unknown config", dir, []string{"--config", "other=" + other}, []string{"no config named other"}},
		{"malformed flag", dir, []string{"--config", "settings"}, []string{"NAME=FILE"}},
	} {
		stdout, stderr, code := runParams(t, tc.dir, append([]string{"step-functions", "create", "--only-json"}, tc.args...)...)
		if code != 2 || stdout != "" {
			t.Errorf("%s: exit %d, stdout %.100q; want exit 2 and no output", tc.name, code, stdout)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q does not say %q", tc.name, stderr, w)
			}
		}
	}
}
