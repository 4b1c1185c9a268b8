package statemachine_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
)

// oneStep is a top-level foreach over one step with the body's options.
func oneStep(opts ...stepflow.StepOption) *flow.Flow {
	return flow.MustDefinitionOf(stepflow.New[S]("OneFlow").
		Step("start", noop, stepflow.Foreach("Items", "work")).
		Step("work", noop, append([]stepflow.StepOption{stepflow.Next("join")}, opts...)...).
		Join("join", join, stepflow.Next("end")).
		Step("end", noop))
}

// A top-level foreach over one step runs as AWS Batch array jobs: one
// SubmitJob of Size = the width (2 to 10,000), one plain job for one item,
// the chunked Map past 10,000; the retry count is the job's retry
// strategy, each child's task id its offset plus its index.
func TestArrayJobs(t *testing.T) {
	r := compile(t, oneStep(stepflow.Retry(2, 0), stepflow.Timeout(90*time.Second)), testSettings())
	st := states(t, r)
	mode := st["start.Mode"]
	var rules []string
	for _, c := range mode["Choices"].([]any) {
		m := c.(map[string]any)
		for _, k := range []string{"NumericEquals", "NumericGreaterThan"} {
			if v, ok := m[k]; ok {
				rules = append(rules, fmt.Sprintf("%s %v -> %s", k, v, m["Next"]))
			}
		}
	}
	if got := strings.Join(rules, "; ") + "; default " + mode["Default"].(string); got !=
		"NumericEquals 0 -> start.Empty; NumericGreaterThan 1e+06 -> start.TooWide; NumericGreaterThan 10000 -> start.Arrays; NumericEquals 1 -> work.One; default work" {
		t.Errorf("start.Mode: %s", got)
	}
	work := st["work"]
	params := work["Parameters"].(map[string]any)
	if fmt.Sprint(params["ArrayProperties"]) != "map[Size.$:$.Foreach.Width]" || fmt.Sprint(params["RetryStrategy"]) != "map[Attempts:3]" ||
		fmt.Sprint(params["Timeout"]) != "map[AttemptDurationSeconds:90]" {
		t.Errorf("array job: %v", params)
	}
	env := map[string]any{}
	for _, e := range params["ContainerOverrides"].(map[string]any)["Environment"].([]any) {
		kv := e.(map[string]any)
		env[kv["Name"].(string)] = kv
	}
	if _, ok := env[statemachine.EnvTaskID]; ok || fmt.Sprint(env[statemachine.EnvArrayOffset]) != "map[Name:STEPFLOW_ARRAY_OFFSET Value:0]" {
		t.Errorf("array job environment: %v", env)
	}
	if retry := work["Retry"].([]any); len(retry) != 1 || fmt.Sprint(retry[0].(map[string]any)["ErrorEquals"]) != fmt.Sprint(statemachine.TransientErrors) {
		t.Errorf("the array Task retries %v; the step's retry is the job's retry strategy", retry)
	}
	one := st["work.One"]
	if _, ok := one["Parameters"].(map[string]any)["ArrayProperties"]; ok || len(one["Retry"].([]any)) != 3 {
		t.Errorf("one item: %v", one)
	}
	// Past 10,000 items: an array job per chunk of 1,000 (the last one's
	// size counted with ArrayRange), a single job for a last chunk of one.
	if got := fmt.Sprint(st["start.Arrays"]["Parameters"].(map[string]any)["Offsets.$"]); got != "States.ArrayRange(0, States.MathAdd($.Foreach.Width, -1), 1000)" {
		t.Errorf("chunk offsets: %s", got)
	}
	each := st["start.ArrayJobs"]["ItemProcessor"].(map[string]any)["States"].(map[string]any)
	chunk := each["work.Chunk"].(map[string]any)["Parameters"].(map[string]any)
	if fmt.Sprint(chunk["ArrayProperties"]) != "map[Size.$:$.Size]" || !strings.Contains(fmt.Sprint(chunk["ContainerOverrides"]), "Name:STEPFLOW_ARRAY_OFFSET Value.$:States.Format('{}', $.Start)") {
		t.Errorf("chunk's array job: %v", chunk)
	}
	if fmt.Sprint(each["work.Full"].(map[string]any)["Parameters"].(map[string]any)["Size"]) != "1000" ||
		!strings.Contains(fmt.Sprint(each["work.Single"]), "Name:STEPFLOW_TASK_ID Value.$:States.Format('{}', $.Start)") {
		t.Errorf("chunk states: %v", each)
	}
	if st["start.Map"] != nil {
		t.Error("an INLINE Map beside the array job")
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings: %v", r.Warnings)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "array.json")
	if err := os.WriteFile(path, r.Definition, 0o644); err != nil {
		t.Fatal(err)
	}
	validate(t, path)
}

// What AWS Batch cannot express keeps the Map, and create says why.
func TestArrayJobsNot(t *testing.T) {
	for _, c := range []struct {
		name string
		f    *flow.Flow
		s    func(*statemachine.Settings)
		warn string
	}{
		{"retry delay", oneStep(stepflow.Retry(2, time.Second)), nil, "step work runs as a Step Functions Map, not as AWS Batch array jobs: its retry waits 1s between attempts (stepflow.Retry(2, 1s)) and AWS Batch retries an array job's child at once; give it stepflow.Retry(2, 0) to run it as array jobs"},
		{"--no-array-jobs", oneStep(), func(s *statemachine.Settings) { s.NoArrayJobs = true }, ""},
		{"--distributed-map", oneStep(), func(s *statemachine.Settings) { s.DistributedMap = true }, ""},
		{"two-step body", wide(), nil, ""},
		{"nested", nested(2), nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testSettings()
			if c.s != nil {
				c.s(&s)
			}
			r := compile(t, c.f, s)
			var d struct{ States map[string]json.RawMessage }
			if err := json.Unmarshal(r.Compact, &d); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(r.Compact), "ArrayProperties") {
				t.Error("compiled to an array job")
			}
			var got string
			for _, w := range r.Warnings {
				if strings.Contains(w, "array jobs") {
					got += w
				}
			}
			if (c.warn == "") != (got == "") || !strings.Contains(got, c.warn) {
				t.Errorf("warnings %q; want %q", got, c.warn)
			}
		})
	}
}

// A body with a catch runs as array jobs too, with no catch handler
// state: every job of it (the array job, the one-item job, a chunk's
// single job) catches its failure itself on its last AWS Batch attempt
// (STEPFLOW_CATCH_ATTEMPTS = the retry strategy's attempts), so the single
// jobs' retries are Batch's too and the Task states retry the
// integration's transient errors only.
func TestArrayJobsCatch(t *testing.T) {
	for _, c := range []struct {
		name     string
		opts     []stepflow.StepOption
		attempts string
		strategy string
	}{
		{"retry", []stepflow.StepOption{stepflow.Retry(2, 0), stepflow.Catch("Caught")}, "3", "map[Attempts:3]"},
		{"no retry", []stepflow.StepOption{stepflow.Catch("Caught")}, "1", "<nil>"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := compile(t, oneStep(c.opts...), testSettings())
			st := states(t, r)
			each := st["start.ArrayJobs"]["ItemProcessor"].(map[string]any)["States"].(map[string]any)
			jobs := map[string]map[string]any{"work": st["work"], "work.One": st["work.One"],
				"work.Chunk": each["work.Chunk"].(map[string]any), "work.Single": each["work.Single"].(map[string]any)}
			taskID := map[string]string{"work": "<nil>", "work.One": "$.TaskId", "work.Chunk": "<nil>", "work.Single": "States.Format('{}', $.Start)"}
			for name, job := range jobs {
				params := job["Parameters"].(map[string]any)
				env := map[string]map[string]any{}
				for _, e := range params["ContainerOverrides"].(map[string]any)["Environment"].([]any) {
					kv := e.(map[string]any)
					env[kv["Name"].(string)] = kv
				}
				if got := fmt.Sprint(env[statemachine.EnvCatchAttempts]["Value"]); got != c.attempts {
					t.Errorf("%s: %s %s, want %s", name, statemachine.EnvCatchAttempts, got, c.attempts)
				}
				if got := fmt.Sprint(env[statemachine.EnvTaskID]["Value.$"]); got != taskID[name] {
					t.Errorf("%s: task id %s, want %s", name, got, taskID[name])
				}
				if got := fmt.Sprint(params["RetryStrategy"]); got != c.strategy {
					t.Errorf("%s: retry strategy %s, want %s", name, got, c.strategy)
				}
				if _, ok := job["Catch"]; ok {
					t.Errorf("%s has a Catch: %v", name, job["Catch"])
				}
				if retry := job["Retry"].([]any); len(retry) != 1 || fmt.Sprint(retry[0].(map[string]any)["ErrorEquals"]) != fmt.Sprint(statemachine.TransientErrors) {
					t.Errorf("%s retries %v; want the transient errors only", name, retry)
				}
			}
			for name := range st {
				if strings.HasSuffix(name, ".Caught") || strings.HasSuffix(name, ".AccessDenied") || name == "start.Map" {
					t.Errorf("state %s beside the array jobs", name)
				}
			}
			if len(r.Warnings) != 0 {
				t.Errorf("warnings: %v", r.Warnings)
			}
			path := filepath.Join(t.TempDir(), "catch.json")
			if err := os.WriteFile(path, r.Definition, 0o644); err != nil {
				t.Fatal(err)
			}
			validate(t, path)
		})
	}
}
