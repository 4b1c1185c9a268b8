package flowcmd

import (
	"context"
	"fmt"
	"sync"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/taskcontract"
	"github.com/stepflow/stepflow/internal/usage"
)

// superviseStep runs one attempt (STEPFLOW_CAPTURE_LOGS=1: an AWS Batch
// job, with no runtime watching it) as a child process under a
// task.Supervisor: the same binary and invocation, with
// STEPFLOW_CAPTURE_LOGS=supervised. The supervisor passes the child's
// stdout and stderr through to its own (CloudWatch) and saves them with
// the attempt, and records a failed attempt when the child died without
// one. Then, for a successful attempt of the end step, it writes the run's
// end record, and exits 0 when the attempt succeeded, 2 when the child
// refused its input, 1 on any other failure.
//
// A child rather than fd-level capture in one process: the output and the
// failure of a process that dies are only observable from outside it, and
// this works the same on every OS. The cost is one more exec of a static
// binary per task.
func superviseStep(ctx context.Context, env *command.Env, ex *task.Executor, spec task.Spec, inv taskcontract.Invocation) error {
	// The child numbers the attempt the same way (after the latest
	// recorded one: a redrive may pass a number already used); the
	// supervisor needs the number to know where the record and the logs go.
	if spec.TaskID == "" {
		spec.TaskID = pathspec.TaskID(spec.Indices)
	}
	if spec.Caught != "" && spec.CaughtIsName {
		if err := ex.ResolveCaught(ctx, &spec); err != nil {
			return err
		}
	} else if err := ex.NumberAttempt(ctx, &spec); err != nil {
		return err
	}
	inv.Attempt = spec.Attempt
	var mu sync.Mutex
	sup := &task.Supervisor{
		Store:      ex.Store,
		Env:        []string{taskcontract.EnvCaptureLogs + "=" + taskcontract.CaptureLogsChild},
		AttemptEnv: spec.Env,
		Output: func(stream string, line []byte) {
			mu.Lock()
			defer mu.Unlock()
			if stream == "stderr" {
				_, _ = env.Stderr.Write(line)
			} else {
				_, _ = env.Stdout.Write(line)
			}
		},
	}
	if node := ex.Graph.Node(spec.Step); node != nil {
		sup.Timeout = node.Step.Options.Timeout
		// An unknown step has no place in the datastore.
		sup.RecordRefusal = true
	}
	res, err := sup.Run(ctx, inv)
	if err != nil {
		return err
	}
	if res.LogErr != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Args0, res.LogErr)
	}
	switch {
	case res.Refused:
		return usage.Wrap(fmt.Errorf("the task refused its input: %s", res.StderrTail))
	case res.ExitCode == 0 && res.Record.Status == datastore.StatusSucceeded:
		// The end task of a cloud run ends the run: the end record comes
		// after the attempt record and the logs.
		return ex.EndRun(context.WithoutCancel(ctx), res.Record)
	}
	return &command.FailedError{}
}
