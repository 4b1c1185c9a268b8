package flowcmd_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"net/http/httptest"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/ui"
)

// The exit hook runs once after every local run, whichever step failed
// (start, a foreach body's task, the join, end) or none, is told the
// outcome, reads what the run stored, and is recorded with the run
// (stepflow show). A failing or panicking hook is recorded failed and
// changes neither the run's status nor the exit code.
func TestExitHook(t *testing.T) {
	bin, inspector := filepath.Join(binDir, "hookflow"), filepath.Join(binDir, "stepflow")
	if show, err := exec.Command(bin, "show").Output(); err != nil || !strings.Contains(string(show), "\nexit hook: OnFinish runs after every run ends, succeeded or failed\n") {
		t.Errorf("show does not list the exit hook (%v):\n%s", err, show)
	}
	for _, tc := range []struct {
		fail      string
		inProcess bool
		code      int    // of run
		runStatus string // the hook is told
		hook      string // the hook's status
		says      []string
	}{
		{"", false, 0, "succeeded", "succeeded", []string{"hook: 3 words", "hook: total 6"}},
		{"", true, 0, "succeeded", "succeeded", []string{"hook: total 6"}},
		{"start", false, 1, "failed", "succeeded", []string{"hook: error: task ", "/start/0 failed: step start: planted failure in start", "hook: no end: "}},
		{"measure", false, 1, "failed", "succeeded", []string{"/measure/1 failed: step measure: planted failure in measure", "hook: 3 words", "hook: no end: "}},
		{"measure", true, 1, "failed", "succeeded", []string{"/measure/1 failed: step measure: planted failure in measure"}},
		{"join", false, 1, "failed", "succeeded", []string{"/join/0 failed: step join: planted failure in join"}},
		{"end", false, 1, "failed", "succeeded", []string{"/end/0 failed: step end: planted failure in end"}},
		{"hook", false, 0, "succeeded", "failed", []string{"hook: total 6"}},
		{"hookpanic", true, 0, "succeeded", "failed", []string{"hook: total 6"}},
	} {
		name := tc.fail
		if name == "" {
			name = "none"
		}
		if tc.inProcess {
			name += "_in_process"
		}
		t.Run(name, func(t *testing.T) {
			ds := filepath.Join(t.TempDir(), "ds")
			args := []string{"run", "--quiet"}
			if tc.inProcess {
				args = append(args, "--in-process")
			}
			os.Setenv("HOOKFLOW_FAIL", tc.fail)
			defer os.Unsetenv("HOOKFLOW_FAIL")
			r := spinRun(t, bin, ds, args...)
			if r.code != tc.code {
				t.Fatalf("run: exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			runs, err := os.ReadDir(filepath.Join(ds, "HookFlow", "runs"))
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs: %v, %v", runs, err)
			}
			id := runs[0].Name()
			data, err := os.ReadFile(filepath.Join(ds, "HookFlow", "runs", id, "hook.json"))
			if err != nil {
				t.Fatalf("the hook left no record: %v", err)
			}
			var rec struct {
				Status, RunStatus, Error, Output string
			}
			rec.RunStatus = "?"
			var raw map[string]any
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatal(err)
			}
			rec.Status, _ = raw["status"].(string)
			rec.RunStatus, _ = raw["run_status"].(string)
			rec.Error, _ = raw["error"].(string)
			rec.Output, _ = raw["output"].(string)
			if rec.Status != tc.hook || rec.RunStatus != tc.runStatus {
				t.Errorf("hook record %s; want status %s, told %s", data, tc.hook, tc.runStatus)
			}
			if !strings.Contains(rec.Output, "hook: run "+id+" "+tc.runStatus+"\n") {
				t.Errorf("the hook's output %q does not say run %s %s", rec.Output, id, tc.runStatus)
			}
			for _, s := range tc.says {
				if !strings.Contains(rec.Output, s) {
					t.Errorf("the hook's output %q lacks %q", rec.Output, s)
				}
			}
			show := mustSpin(t, inspector, ds, "show", "HookFlow/"+id)
			if want := "Hook:      exit hook " + tc.hook; !strings.Contains(show.stdout, want) || !strings.Contains(show.stdout, "(told the run "+tc.runStatus+")") {
				t.Errorf("stepflow show lacks %q:\n%s", want, show.stdout)
			}
			if tc.hook == "failed" {
				if !strings.Contains(r.stderr, "the exit hook of run "+id+" failed (the run succeeded all the same): exit hook: ") || !strings.Contains(r.stderr, "planted") {
					t.Errorf("run's stderr does not report the failed hook:\n%s", r.stderr)
				}
				if !strings.Contains(show.stdout, "planted") {
					t.Errorf("stepflow show does not give the hook's error:\n%s", show.stdout)
				}
			}
			// The UI shows it on the run's page and in its JSON.
			c, err := client.Open(t.Context(), ds)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := ui.New(c, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, page := range []string{"/flows/HookFlow/runs/" + id, "/api/flows/HookFlow/runs/" + id} {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1"+page, nil))
				body := rec.Body.String()
				want := `id="hook"`
				if strings.HasPrefix(page, "/api/") {
					want = `"hook":{"status":"` + tc.hook + `","run_status":"` + tc.runStatus + `"`
				}
				if rec.Code != 200 || !strings.Contains(body, want) || !strings.Contains(body, tc.hook) {
					t.Errorf("GET %s: %d, lacks %q:\n%.2000s", page, rec.Code, want, body)
				}
			}
			// The hook's record is one verify knows.
			if v := spinRun(t, inspector, ds, "verify", "HookFlow/"+id); v.code != 0 && tc.code == 0 {
				t.Errorf("verify of a run with a hook record: exit %d\n%s%s", v.code, v.stdout, v.stderr)
			}
			if status := mustSpin(t, inspector, ds, "runs", "HookFlow", "--json").stdout; !strings.Contains(status, `"status": "`+tc.runStatus+`"`) {
				t.Errorf("the run's status is not %s after its hook:\n%s", tc.runStatus, status)
			}
		})
	}
}

// TestStepHook: `step --hook STATUS`, the state machine's hook task, runs
// the exit hook of a finished run and records it as a local run's end
// does: a failed run's hook is told which task failed and why; a failing
// hook is recorded failed and the command still exits 0; a status that is
// not how a run ends is bad input.
func TestStepHook(t *testing.T) {
	bin := filepath.Join(binDir, "hookflow")
	readHook := func(t *testing.T, ds, id string) map[string]any {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(ds, "HookFlow", "runs", id, "hook.json"))
		if err != nil {
			t.Fatalf("no hook record: %v", err)
		}
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		return raw
	}
	for _, tc := range []struct {
		fail, status string
		hook, told   string
		says         string
	}{
		{"measure", "FAILED", "succeeded", "failed", "hook: error: the run ended FAILED on AWS Step Functions: task %s/measure/1 failed: step measure: planted failure in measure\n"},
		{"hook", "SUCCEEDED", "failed", "succeeded", "hook: total 6\n"},
	} {
		t.Run(tc.fail, func(t *testing.T) {
			ds := filepath.Join(t.TempDir(), "ds")
			os.Setenv("HOOKFLOW_FAIL", tc.fail)
			defer os.Unsetenv("HOOKFLOW_FAIL")
			spinRun(t, bin, ds, "run", "--quiet")
			runs, err := os.ReadDir(filepath.Join(ds, "HookFlow", "runs"))
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs: %v, %v", runs, err)
			}
			id := runs[0].Name()
			if err := os.Remove(filepath.Join(ds, "HookFlow", "runs", id, "hook.json")); err != nil {
				t.Fatal(err)
			}
			r := spinRun(t, bin, ds, "step", "--hook", tc.status, "--run-id", id)
			if r.code != 0 {
				t.Fatalf("step --hook: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			rec := readHook(t, ds, id)
			if rec["status"] != tc.hook || rec["run_status"] != tc.told {
				t.Errorf("hook record %v; want status %s, told %s", rec, tc.hook, tc.told)
			}
			out, _ := rec["output"].(string)
			if want := strings.ReplaceAll(tc.says, "%s", id); !strings.Contains(out, want) || !strings.Contains(r.stdout, want) {
				t.Errorf("the hook's output %q (stdout %q) lacks %q", out, r.stdout, want)
			}
			if tc.hook == "failed" && !strings.Contains(r.stderr, "the exit hook of run "+id+" failed (the run succeeded all the same): exit hook: planted failure in the hook") {
				t.Errorf("stderr does not report the failed hook:\n%s", r.stderr)
			}
		})
	}
	for _, args := range [][]string{{"step", "--hook", "maybe", "--run-id", "r1"}, {"step", "end", "--hook", "FAILED", "--run-id", "r1"}} {
		if r := spinRun(t, bin, t.TempDir(), args...); r.code != 2 || !strings.Contains(r.stderr, "--hook") && !strings.Contains(r.stderr, "hook") {
			t.Errorf("%q: exit %d, want 2 with one message\n%s", args, r.code, r.stderr)
		}
	}
}
