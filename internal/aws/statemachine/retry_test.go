package statemachine_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
)

func states(t *testing.T, r *statemachine.Result) map[string]map[string]any {
	t.Helper()
	var def struct{ States map[string]map[string]any }
	if err := json.Unmarshal(r.Definition, &def); err != nil {
		t.Fatal(err)
	}
	return def.States
}

// A missing permission (States.Permissions) is neither retried by the
// step's own retry nor handled by its catch: the run stops with
// Stepflow.AccessDenied.
func TestAccessDeniedFailsFast(t *testing.T) {
	g := platformGraph(t, stepflow.Catch("Err"))
	r, err := statemachine.Compile(g, testSettings())
	if err != nil {
		t.Fatal(err)
	}
	st := states(t, r)
	catch := st["start"]["Catch"].([]any)
	first := catch[0].(map[string]any)
	if fmt.Sprint(first["ErrorEquals"]) != "[States.Permissions]" || first["Next"] != "start.AccessDenied" {
		t.Fatalf("first catcher: %v", first)
	}
	if f := st["start.AccessDenied"]; f["Type"] != "Fail" || f["Error"] != "Stepflow.AccessDenied" {
		t.Errorf("start.AccessDenied: %v", f)
	}
	// Without a retry of the step's own, no retrier matches a missing
	// permission (it is not a transient error): it is not retried. With
	// one, the first retrier keeps it from being retried as the step's
	// failure (States.TaskFailed).
	for _, name := range []string{"start", "start.Caught"} {
		for _, r := range st[name]["Retry"].([]any) {
			for _, e := range r.(map[string]any)["ErrorEquals"].([]any) {
				if e == "States.Permissions" || e == "Batch.AccessDeniedException" || e == "States.TaskFailed" || e == "States.ALL" {
					t.Errorf("%s: retrier %v matches a missing permission", name, r)
				}
			}
		}
	}
	g = platformGraph(t, stepflow.Catch("Err"), stepflow.Retry(2, time.Second))
	if r, err = statemachine.Compile(g, testSettings()); err != nil {
		t.Fatal(err)
	}
	st = states(t, r)
	r0 := st["start"]["Retry"].([]any)[0].(map[string]any)
	if fmt.Sprint(r0["ErrorEquals"]) != "[States.Permissions Batch.AccessDeniedException]" || r0["MaxAttempts"] != 0.0 {
		t.Errorf("start with a retry: first retrier %v, want States.Permissions and Batch.AccessDeniedException never retried", r0)
	}
	for _, r := range st["start.Caught"]["Retry"].([]any) {
		if fmt.Sprint(r.(map[string]any)["ErrorEquals"]) != fmt.Sprint(statemachine.TransientErrors) {
			t.Errorf("start.Caught retries %v: only transient errors are its to retry", r)
		}
	}
}

// A step without a timeout still has one on its Task state, so a job
// that is never placed does not hold the run for a year.
func TestDefaultTaskTimeout(t *testing.T) {
	g := platformGraph(t, stepflow.Batch{})
	s := testSettings()
	r, err := statemachine.Compile(g, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := states(t, r)["start"]["TimeoutSeconds"]; got != float64(statemachine.DefaultTaskTimeout/time.Second) {
		t.Errorf("default TimeoutSeconds = %v", got)
	}
	s.TaskTimeout = 3 * time.Hour
	if r, err = statemachine.Compile(g, s); err != nil {
		t.Fatal(err)
	}
	if got := states(t, r)["start"]["TimeoutSeconds"]; got != 10800.0 {
		t.Errorf("--task-timeout 3h: TimeoutSeconds = %v", got)
	}
	s.TaskTimeout = time.Second
	if _, err := statemachine.Compile(g, s); err == nil {
		t.Error("a 1s task timeout was accepted")
	}
}
