package flowcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/usage"
)

// EnvCaptureLogs, set to 1 in the AWS Batch job definition, makes the step
// command supervise the attempt (superviseStep): nothing else (no parent
// runtime) would save its output or record its crash.
const EnvCaptureLogs = "STEPFLOW_CAPTURE_LOGS"

// supervisedChild is the value of EnvCaptureLogs in the supervised child:
// it runs the attempt and writes the DynamoDB bookkeeping item.
const supervisedChild = "supervised"

// superviseGrace is how long the child gets between SIGTERM (Batch stops
// the container with SIGTERM on terminate and timeout) and SIGKILL. Docker
// stops containers after 30 s by default, so this leaves time to record.
const superviseGrace = 15 * time.Second

// superviseStep runs one attempt as a child process (the same binary, the
// same task, STEPFLOW_CAPTURE_LOGS=supervised) and then
//   - saves the child's stdout and stderr with the attempt, having passed
//     them through to its own (CloudWatch);
//   - writes a failed attempt record when the child left none: os.Exit,
//     a runtime crash, the OOM killer, SIGTERM/SIGKILL; with the exit status
//     and the last line of stderr;
//   - exits 0 when the attempt succeeded, 2 when the child refused its
//     input, 1 on any other failure.
//
// A child rather than fd-level capture in one process: the output and the
// failure of a process that dies are only observable from outside it, and
// this works the same on every OS. The cost is one more exec of a static
// binary per task.
func superviseStep(ctx context.Context, env *command.Env, ex *task.Executor, spec task.Spec, args []string) error {
	store := ex.Store
	if spec.TaskID == "" {
		spec.TaskID = pathspec.TaskID(spec.Indices)
	}
	if spec.Caught != "" && spec.CaughtIsName {
		// The child resolves the same attempt number; the supervisor needs
		// it to know where the record and the logs go.
		if err := ex.ResolveCaught(ctx, &spec); err != nil {
			return err
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("supervise the task: %w", err)
	}
	args = append(args, "--attempt", strconv.Itoa(spec.Attempt))
	cmd := exec.Command(exe, args...)
	cmd.Env = append(withoutEnv(os.Environ(), EnvCaptureLogs, "STEPFLOW_ATTEMPT"),
		EnvCaptureLogs+"="+supervisedChild, "STEPFLOW_ATTEMPT="+strconv.Itoa(spec.Attempt))
	outLog, err := newSpool()
	if err != nil {
		return err
	}
	defer outLog.Close()
	errLog, err := newSpool()
	if err != nil {
		return err
	}
	defer errLog.Close()
	var tail tailBuffer
	cmd.Stdout = io.MultiWriter(env.Stdout, outLog)
	cmd.Stderr = io.MultiWriter(env.Stderr, errLog, &tail)
	cmd.WaitDelay = 5 * time.Second // a grandchild holding the pipes open
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the task process: %w", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var werr error
	reason := ""
	select {
	case werr = <-waited:
	case <-ctx.Done():
		reason = "the task was stopped (SIGTERM: terminated or timed out)"
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case werr = <-waited:
		case <-time.After(superviseGrace):
			_ = cmd.Process.Kill()
			werr = <-waited
		}
	}
	bg := context.WithoutCancel(ctx)
	for _, l := range []struct {
		name string
		f    *spool
	}{{"stdout", outLog}, {"stderr", errLog}} {
		rd, n, err := l.f.reader()
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		if err := store.PutLog(bg, spec.RunID, spec.Step, spec.TaskID, spec.Attempt, l.name, rd); err != nil {
			fmt.Fprintf(env.Stderr, "%s: save the %s of the task: %v\n", env.Args0, l.name, err)
		}
	}
	code := task.ExitStatus(werr)
	rec, err := store.Attempt(bg, spec.RunID, spec.Step, spec.TaskID, spec.Attempt)
	switch {
	case err == nil:
	case datastore.IsNotFound(err) && code != 0:
		if reason == "" {
			reason = task.DescribeExit(werr)
		}
		if t := tail.last(); t != "" {
			reason += ": " + t
		}
		rec = task.CrashRecord(spec, start, code, reason)
		if ex.Graph.Node(spec.Step) == nil {
			break // an unknown step has no place in the datastore
		}
		if err := store.PutAttempt(bg, rec); err != nil {
			return fmt.Errorf("record the failure of the task (%s): %w", reason, err)
		}
	case datastore.IsNotFound(err):
		return &command.FailedError{Err: errors.New("the task process exited 0 without recording its attempt")}
	default:
		return err
	}
	switch {
	case code == 0:
		// The end task of a cloud run ends the run: the end record comes
		// after the attempt record and the logs.
		if err := ex.EndRun(bg, &rec); err != nil {
			return err
		}
		return nil
	case code == command.ExitUsage:
		return usage.Wrap(fmt.Errorf("the task refused its input: %s", tail.last()))
	}
	return &command.FailedError{}
}

// childStepArgs are the step command's arguments for the supervised child
// (everything but --attempt, which the supervisor adds). The rest of the
// task contract reaches it through the inherited environment;
// STEPFLOW_CAUGHT keeps its meaning (an error name) that way.
func childStepArgs(spec task.Spec, indices string, inputs optString, caughtFlag, params, configs, root string) []string {
	args := []string{"step", spec.Step, "--run-id", spec.RunID, "--datastore-root", root}
	if spec.TaskID != "" {
		args = append(args, "--task-id", spec.TaskID)
	}
	if indices != "" {
		args = append(args, "--indices", indices)
	}
	if inputs.set {
		args = append(args, "--input-paths", inputs.v)
	}
	if caughtFlag != "" {
		args = append(args, "--caught", caughtFlag)
	}
	if params != "" {
		args = append(args, "--params", params)
	}
	if configs != "" {
		args = append(args, "--configs", configs)
	}
	return args
}

func withoutEnv(env []string, names ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// spool keeps a stream in a temporary file, so a chatty task does not
// hold its output in memory.
type spool struct{ f *os.File }

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "stepflow-log-*")
	if err != nil {
		return nil, fmt.Errorf("supervise the task: %w", err)
	}
	_ = os.Remove(f.Name()) // unlinked: gone when closed, even after a crash
	return &spool{f: f}, nil
}

func (s *spool) Write(p []byte) (int, error) { return s.f.Write(p) }
func (s *spool) Close() error                { return s.f.Close() }

// reader rewinds the spool and returns it with its size.
func (s *spool) reader() (io.Reader, int64, error) {
	n, err := s.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return io.LimitReader(s.f, n), n, nil
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

// last is the last non-empty line.
func (t *tailBuffer) last() string {
	lines := strings.Split(strings.TrimSpace(string(bytes.ToValidUTF8(t.b, nil))), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
