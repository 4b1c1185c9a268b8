package flowcmd_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The step command as AWS Batch runs it (STEPFLOW_CAPTURE_LOGS=1, the
// environment of the job definition and overrides): the start task
// creates the run record with the frozen configs and the production tag;
// the end task records the run's end after its attempt. The same
// commands without STEPFLOW_CAPTURE_LOGS (a local task) ignore the token.
func TestCloudStepCommands(t *testing.T) {
	ds := t.TempDir()
	step := func(t *testing.T, cloud bool, run, name string, extra ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(binDir, "hello"), "step", name)
		cmd.Env = []string{"HOME=" + ds, "PATH=" + os.Getenv("PATH"), "STEPFLOW_RUN_ID=" + run,
			"STEPFLOW_DATASTORE_ROOT=" + ds, "STEPFLOW_PRODUCTION_TOKEN=helloflow-abcd1234", "STEPFLOW_ATTEMPT=0"}
		if cloud {
			cmd.Env = append(cmd.Env, "STEPFLOW_CAPTURE_LOGS=1")
		}
		cmd.Env = append(cmd.Env, extra...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("step %s: %v\n%s", name, err, out)
		}
	}
	readJSON := func(t *testing.T, path string, v any) bool {
		t.Helper()
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return false
		}
		if err != nil || json.Unmarshal(data, v) != nil {
			t.Fatalf("%s: %v\n%s", path, err, data)
		}
		return true
	}
	for _, cloud := range []bool{true, false} {
		run := map[bool]string{true: "sfn-cloud", false: "sfn-local"}[cloud]
		step(t, cloud, run, "start", `STEPFLOW_PARAMS={"name":"ada"}`)
		var rec struct {
			Params  map[string]string
			Configs map[string]string
			Tags    []string
			Runtime string
		}
		dir := filepath.Join(ds, "HelloFlow", "runs", run)
		readJSON(t, filepath.Join(dir, "run.json"), &rec)
		wantTags := "[]"
		if cloud {
			wantTags = "[production:helloflow-abcd1234]"
		}
		if rec.Params["name"] != "ada" || rec.Runtime != "step-functions" || fmt.Sprint(rec.Tags) != wantTags {
			t.Errorf("cloud %v: run record %+v, want tags %s", cloud, rec, wantTags)
		}
		step(t, cloud, run, "loud")
		if cloud {
			// A redrive passes attempt 0 again: the supervised task is
			// numbered after the record, which is kept, and its logs go
			// with the new attempt.
			step(t, cloud, run, "start", `STEPFLOW_PARAMS={"name":"ada"}`)
			for a := range 2 {
				var att struct{ Attempt int }
				if !readJSON(t, filepath.Join(dir, "start", "0", fmt.Sprint(a), "attempt.json"), &att) || att.Attempt != a {
					t.Errorf("start attempt %d: record missing or numbered %d", a, att.Attempt)
				}
				if _, err := os.Stat(filepath.Join(dir, "start", "0", fmt.Sprint(a), "stdout.log")); err != nil {
					t.Errorf("start attempt %d: %v", a, err)
				}
			}
		}
		var end struct{ Status string }
		if readJSON(t, filepath.Join(dir, "end.json"), &end) {
			t.Fatalf("cloud %v: the run ended before its end task", cloud)
		}
		step(t, cloud, run, "end")
		if got := readJSON(t, filepath.Join(dir, "end.json"), &end); got != cloud || (cloud && end.Status != "succeeded") {
			t.Errorf("cloud %v: end record written %v, %+v", cloud, got, end)
		}
	}
}
