package task

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// ExitStatus is a task process's exit code: 128+N when signal N killed it,
// -1 when it could not be waited for, 0 for a nil error.
func ExitStatus(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() >= 0 {
			return ee.ExitCode()
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return -1
	}
	if err != nil {
		return -1
	}
	return 0
}

// DescribeExit says how a task process ended without recording its
// result, for the failed attempt's error: "task process was killed by
// signal killed", "task process exited with status 3 ...".
func DescribeExit(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "task process was killed by signal " + ws.Signal().String()
		}
		return fmt.Sprintf("task process exited with status %d without recording its result", ee.ExitCode())
	}
	if err != nil {
		return "task process: " + err.Error()
	}
	return "task process exited without recording its result"
}

// CrashRecord is the failed attempt a supervisor (the local runtime, or the
// step command supervising itself in AWS Batch) records for a task process
// that died without writing one.
func CrashRecord(spec Spec, start time.Time, code int, reason string) datastore.Attempt {
	return datastore.Attempt{Run: spec.RunID, Step: spec.Step, Task: spec.TaskID, Attempt: spec.Attempt,
		Status: datastore.StatusFailed, Start: start.UTC(), End: time.Now().UTC(), ExitCode: code, Error: reason,
		Inputs: spec.Inputs, Indices: spec.Indices, Env: spec.Env}
}
