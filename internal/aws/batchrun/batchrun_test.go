package batchrun_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/aws/batchrun"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/runner"
)

func job(step, id string, attempt int, inputs []string) *runner.Job {
	return &runner.Job{Run: "20260102-030405-abcdef", Step: &graph.Node{Name: step, Step: &flow.Step{Name: step}}, ID: id, Attempt: attempt, Inputs: inputs}
}

// A job's name is what AWS Batch accepts: letters, digits, - and _, at
// most 128 characters.
func TestJobName(t *testing.T) {
	if got := batchrun.JobName("HelloFlow", job("start", "0", 2, nil)); got != "HelloFlow-start-0-2" {
		t.Errorf("JobName = %q", got)
	}
	long := batchrun.JobName(strings.Repeat("F", 120), job("a.b", "3-1-4", 0, nil))
	if len(long) != 128 || strings.ContainsAny(long, ".") {
		t.Errorf("JobName of a long flow = %q (%d characters)", long, len(long))
	}
}

// The job's command is the task contract's invocation with the S3 root and
// the definition's fingerprint; a join whose inputs would not fit in the
// container overrides derives them instead.
func TestInvocation(t *testing.T) {
	e := &batchrun.Executor{Root: "s3://bucket/prefix", Definition: "f00d"}
	args := e.Invocation(job("join", "0", 1, []string{"r/a/0", "r/b/0"})).Args()
	for _, want := range [][]string{{"--datastore-root", "s3://bucket/prefix"}, {"--definition", "f00d"}, {"--input-paths", "r/a/0,r/b/0"}, {"--attempt", "1"}} {
		if i := slices.Index(args, want[0]); i < 0 || args[i+1] != want[1] {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	if args := e.Invocation(job("start", "0", 0, nil)).Args(); !slices.Contains(args, "--input-paths") {
		t.Errorf("a start task's args %q do not say it has no inputs", args)
	}
	caught := job("risky", "0", 2, []string{"r/start/0"})
	caught.Caught = strings.Repeat("panic: boom\n", 1000)
	if inv := e.Invocation(caught); len(inv.Caught) > 1100 || !strings.HasPrefix(inv.Caught, "panic: boom\n") {
		t.Errorf("a catch's failure in the command: %d bytes", len(inv.Caught))
	}
	wide := make([]string, 1000)
	for i := range wide {
		wide[i] = "20260102-030405-abcdef/work/" + strings.Repeat("9", 3)
	}
	if args := e.Invocation(job("join", "0", 0, wide)).Args(); slices.Contains(args, "--input-paths") || len(strings.Join(args, " ")) > 8192 {
		t.Errorf("a wide join's command has %d characters: %.200q", len(strings.Join(args, " ")), args)
	}
}
