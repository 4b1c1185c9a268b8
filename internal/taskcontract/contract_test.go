package taskcontract

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/usage"
)

func noEnv(string) string { return "" }

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func wideInputs() []string {
	var in []string
	for i := 0; len(strings.Join(in, ",")) <= MaxArgInputs; i++ {
		in = append(in, fmt.Sprintf("r1/body/%d", i))
	}
	return in
}

func TestRoundTrip(t *testing.T) {
	cases := map[string]Invocation{
		"minimal":       {Step: "start", RunID: "r1"},
		"derive inputs": {Step: "join", RunID: "r1", TaskID: "0", Attempt: 2, Inputs: nil},
		"no inputs":     {Step: "start", RunID: "r1", Inputs: []string{}},
		"inputs":        {Step: "b", RunID: "r1", Inputs: []string{"r1/a/0", "r1/a/1"}},
		"wide join":     {Step: "join", RunID: "r1", Inputs: wideInputs()},
		"foreach":       {Step: "body", RunID: "r1", TaskID: "3-1", Indices: []int{3, 1}, Attempt: 1},
		"index zero":    {Step: "body", RunID: "r1", Indices: []int{0}},
		"params":        {Step: "start", RunID: "r1", Params: map[string]string{"alpha": "0.5", "name": "a,b \"c\""}, Configs: map[string]string{"cfg": "sha256:ab"}},
		"empty params":  {Step: "start", RunID: "r1", Params: map[string]string{}},
		"trigger":       {Step: "start", RunID: "r1", Params: map[string]string{}, Trigger: map[string]string{"type": "event", "event": "data.ready", "id": "e-1"}},
		"caught msg":    {Step: "risky", RunID: "r1", Attempt: 3, Caught: "step risky: boom\nline 2"},
		"caught name":   {Step: "risky", RunID: "r1", Attempt: 1, Caught: "States.TaskFailed", CaughtIsName: true},
		"root":          {Step: "end", RunID: "r1", DatastoreRoot: "s3://bucket/prefix"},
		"everything": {Step: "body", RunID: "sfn-x", TaskID: "2", Indices: []int{2}, Attempt: 4,
			Inputs: []string{"sfn-x/fan/0"}, Caught: "States.ALL", CaughtIsName: true, DatastoreRoot: "/tmp/ds",
			Definition: "0123456789abcdef0123456789abcdef"},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			args := want.Args()
			if args[0] != "step" || args[1] != want.Step {
				t.Fatalf("Args() = %q, want step %s first", args, want.Step)
			}
			stdin := want.Stdin()
			if wide := len(strings.Join(want.Inputs, ",")) > MaxArgInputs; wide != (stdin != nil) {
				t.Fatalf("Stdin() = %v for a wide join %v", stdin, wide)
			}
			for _, a := range args {
				if len(a) > MaxArgInputs {
					t.Fatalf("an argument of %d bytes", len(a))
				}
			}
			got, err := Parse(args[1:], noEnv, stdin)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Parse(Args()) =\n%#v\nwant\n%#v", got, want)
			}
		})
	}
}

// The environment fills in what the flags leave out; a flag wins.
func TestParseEnv(t *testing.T) {
	env := map[string]string{
		EnvStep: "body", EnvRunID: "sfn-1", EnvTaskID: "1-2", EnvAttempt: "2", EnvIndices: "1,2",
		EnvInputPaths: "sfn-1/a/1,sfn-1/b/1", EnvParams: `{"p":"v"}`, EnvConfigs: `{"c":"h"}`,
		EnvTrigger: `{"type":"schedule"}`, EnvCaught: "States.TaskFailed", EnvDatastoreRoot: "s3://b/p", EnvDefinition: "abc",
	}
	got, err := Parse(nil, envOf(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Invocation{Step: "body", RunID: "sfn-1", TaskID: "1-2", Indices: []int{1, 2}, Attempt: 2,
		Inputs: []string{"sfn-1/a/1", "sfn-1/b/1"}, Params: map[string]string{"p": "v"}, Configs: map[string]string{"c": "h"},
		Trigger: map[string]string{"type": "schedule"}, Caught: "States.TaskFailed", CaughtIsName: true, DatastoreRoot: "s3://b/p", Definition: "abc"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("from the environment:\n%#v\nwant\n%#v", got, want)
	}
	// Flags win; --caught (a message) wins over STEPFLOW_CAUGHT (a name).
	got, err = Parse([]string{"other", "--run-id", "r", "--attempt", "0", "--input-paths", "", "--caught", "boom"}, envOf(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Step != "other" || got.RunID != "r" || got.Attempt != 0 || got.Inputs == nil || len(got.Inputs) != 0 ||
		got.Caught != "boom" || got.CaughtIsName {
		t.Fatalf("flags over the environment: %#v", got)
	}
	// An empty STEPFLOW_INPUT_PATHS is unset: derive.
	got, err = Parse([]string{"s", "--run-id", "r"}, envOf(map[string]string{EnvInputPaths: ""}), nil)
	if err != nil || got.Inputs != nil {
		t.Fatalf("empty %s: %#v, %v", EnvInputPaths, got, err)
	}
}

func TestParseStdin(t *testing.T) {
	got, err := Parse([]string{"join", "--run-id", "r", "--input-paths", "-"}, noEnv, strings.NewReader("r/a/0,r/a/1\n"))
	if err != nil || !reflect.DeepEqual(got.Inputs, []string{"r/a/0", "r/a/1"}) {
		t.Fatalf("inputs from stdin: %#v, %v", got.Inputs, err)
	}
	got, err = Parse([]string{"join", "--run-id", "r", "--input-paths", "-"}, noEnv, strings.NewReader(""))
	if err != nil || got.Inputs == nil || len(got.Inputs) != 0 {
		t.Fatalf("empty stdin: %#v, %v", got.Inputs, err)
	}
}

// zeros is an endless stream of zero bytes, counting what was read.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

// TestParseStdinBounded: --input-paths - reads at most MaxInputPaths of
// standard input, then refuses it as bad input.
func TestParseStdinBounded(t *testing.T) {
	z := &zeros{}
	_, err := Parse([]string{"join", "--run-id", "r", "--input-paths", "-"}, noEnv, z)
	var ue *usage.Error
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "more than the 64 MiB allowed") {
		t.Errorf("endless stdin: %v, want a usage error naming the limit", err)
	}
	if z.n > MaxInputPaths+1<<20 {
		t.Errorf("read %d bytes of an endless stdin", z.n)
	}
}

func TestParseBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"--run-id", "r"},
		{"s"},
		{"s", "t", "--run-id", "r"},
		{"s", "--run-id", "r", "--attempt", "-1"},
		{"s", "--run-id", "r", "--attempt", "x"},
		{"s", "--run-id", "r", "--indices", "a"},
		{"s", "--run-id", "r", "--params", "[1]"},
		{"s", "--run-id", "r", "--configs", "{"},
		{"s", "--run-id", "r", "--no-such-flag"},
		{"s", "--run-id", "../../x"},
		{"s", "--run-id", "a/b"},
		{"s", "--run-id", ".r"},
		{"s", "--run-id", "r\x00"},
	} {
		_, err := Parse(args, noEnv, nil)
		var ue *usage.Error
		if !errors.As(err, &ue) {
			t.Errorf("Parse(%q) = %v, want a usage error", args, err)
		}
	}
}

func TestEnvScrubsTheContract(t *testing.T) {
	base := []string{"PATH=/bin", EnvCaught + "=x", EnvIndices + "=1", EnvCaptureLogs + "=1", EnvDatastoreRoot + "=/d",
		EnvProductionToken + "=tok", "STEPFLOW_CAUGHTX=keep", EnvDefinition + "=abc"}
	got := Invocation{}.Env(base)
	want := []string{"PATH=/bin", EnvDatastoreRoot + "=/d", EnvProductionToken + "=tok", "STEPFLOW_CAUGHTX=keep"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Env = %q, want %q", got, want)
	}
	got = Invocation{DatastoreRoot: "/e"}.Env(base)
	want = []string{"PATH=/bin", EnvProductionToken + "=tok", "STEPFLOW_CAUGHTX=keep"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Env with a root = %q, want %q", got, want)
	}
}

// A child of an AWS Batch array job computes its task id (offset + array
// index) and counts AWS Batch's retries of it in its attempt; the
// supervisor passes both on as flags, which win.
func TestParseArrayChild(t *testing.T) {
	env := map[string]string{EnvStep: "work", EnvRunID: "sfn-1", EnvAttempt: "1", EnvArrayOffset: "10000",
		EnvBatchArrayIndex: "7", EnvBatchJobAttempt: "3"}
	got, err := Parse(nil, envOf(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.TaskID != "10007" || got.Attempt != 3 || !got.ArrayChild {
		t.Errorf("array child: task %q, attempt %d, child %v; want 10007, 1 + 2 Batch retries, true", got.TaskID, got.Attempt, got.ArrayChild)
	}
	got, err = Parse(got.Args()[1:], envOf(env), nil)
	if err != nil || got.TaskID != "10007" || got.Attempt != 3 {
		t.Errorf("the supervised child: %#v, %v", got, err)
	}
	for k, v := range map[string]string{EnvArrayOffset: "x", EnvBatchArrayIndex: ""} {
		bad := map[string]string{}
		for kk, vv := range env {
			bad[kk] = vv
		}
		bad[k] = v
		if _, err := Parse(nil, envOf(bad), nil); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%q: %v", k, v, err)
		}
	}
}

// TestParseCatchInJob: a job that catches its failure itself
// (STEPFLOW_CATCH_ATTEMPTS) knows its last AWS Batch attempt; a single
// job's attempt counts its Batch retries as an array child's does (once).
func TestParseCatchInJob(t *testing.T) {
	for _, c := range []struct {
		env        map[string]string
		attempt    int
		last, fail bool
	}{
		{map[string]string{EnvTaskID: "4", EnvBatchJobAttempt: "1", EnvCatchAttempts: "2"}, 0, false, false},
		{map[string]string{EnvTaskID: "4", EnvBatchJobAttempt: "2", EnvCatchAttempts: "2"}, 1, true, false},
		{map[string]string{EnvTaskID: "4", EnvBatchJobAttempt: "1", EnvCatchAttempts: "1"}, 0, true, false},
		{map[string]string{EnvArrayOffset: "10", EnvBatchArrayIndex: "2", EnvBatchJobAttempt: "3", EnvCatchAttempts: "3"}, 2, true, false},
		{map[string]string{EnvTaskID: "4", EnvBatchJobAttempt: "1", EnvCatchAttempts: "0"}, 0, false, true},
		{map[string]string{EnvTaskID: "4", EnvBatchJobAttempt: "1", EnvCatchAttempts: "x"}, 0, false, true},
		{map[string]string{EnvTaskID: "4", EnvCatchAttempts: "2"}, 0, false, true},
	} {
		env := map[string]string{EnvStep: "work", EnvRunID: "sfn-1", EnvAttempt: "0"}
		for k, v := range c.env {
			env[k] = v
		}
		got, err := Parse(nil, envOf(env), nil)
		if c.fail {
			if err == nil || !strings.Contains(err.Error(), EnvCatchAttempts) {
				t.Errorf("%v: %v, want an error naming %s", c.env, err, EnvCatchAttempts)
			}
			continue
		}
		if err != nil || got.Attempt != c.attempt || got.CatchLast != c.last {
			t.Errorf("%v: attempt %d, last %v, %v; want %d, %v", c.env, got.Attempt, got.CatchLast, err, c.attempt, c.last)
		}
	}
	if env := (Invocation{}).Env([]string{EnvCatchAttempts + "=2", "HOME=/h"}); len(env) != 1 || env[0] != "HOME=/h" {
		t.Errorf("the supervised child's environment keeps %v", env)
	}
}

// TestParseHook: an exit hook's invocation (step --hook STATUS, or
// STEPFLOW_HOOK as the state machine sets it) has a run and a status and
// no step; anything else is bad input, exit 2.
func TestParseHook(t *testing.T) {
	want := Invocation{RunID: "sfn-x", Hook: "FAILED", DatastoreRoot: "s3://b/p"}
	got, err := Parse(want.Args()[1:], noEnv, nil)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q) = %+v, %v; want %+v", want.Args()[1:], got, err, want)
	}
	got, err = Parse(nil, envOf(map[string]string{EnvHook: "succeeded", EnvRunID: "sfn-y", EnvDatastoreRoot: "s3://b/p"}), nil)
	if err != nil || got.Hook != "succeeded" || got.RunID != "sfn-y" || got.Step != "" || got.DatastoreRoot != "s3://b/p" {
		t.Fatalf("from the environment: %+v, %v", got, err)
	}
	if !HookSucceeded("SUCCEEDED") || !HookSucceeded("succeeded") || HookSucceeded("TIMED_OUT") || HookSucceeded("failed") {
		t.Error("HookSucceeded is wrong")
	}
	for name, args := range map[string][]string{
		"unknown status": {"--hook", "maybe", "--run-id", "r1"},
		"with a step":    {"end", "--hook", "failed", "--run-id", "r1"},
		"no run":         {"--hook", "failed"},
		"bad run":        {"--hook", "failed", "--run-id", "../r1"},
	} {
		_, err := Parse(args, noEnv, nil)
		var ue *usage.Error
		if !errors.As(err, &ue) {
			t.Errorf("%s: Parse(%q) = %v, want a usage error", name, args, err)
		}
	}
}
