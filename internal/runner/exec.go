package runner

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/task"
)

// maxArgInputs is the longest --input-paths passed as an argument.
const maxArgInputs = 32 << 10

// killGrace is how long an interrupted task gets between SIGTERM and SIGKILL.
const killGrace = 2 * time.Second

// childProcess runs each attempt as `<exe> step ...` in its own process
// group, streams its output to the reporter, saves it as the attempt's logs,
// and records a failed attempt when the child dies without writing one.
type childProcess struct{ r *Runner }

func (c *childProcess) Execute(ctx context.Context, j *Job) (*datastore.Attempt, error) {
	r := c.r
	inputs := strings.Join(j.Inputs, ",")
	args := []string{"step", j.Step.Name, "--run-id", j.Run, "--task-id", j.ID,
		"--attempt", strconv.Itoa(j.Attempt), "--input-paths", inputs}
	if len(inputs) > maxArgInputs {
		// Linux limits one argument to 128 KiB: a wide join reads its
		// inputs from standard input instead.
		args[len(args)-1] = "-"
	}
	if r.Opts.DatastoreRoot != "" {
		args = append(args, "--datastore-root", r.Opts.DatastoreRoot)
	}
	if j.Caught != "" {
		args = append(args, "--caught", j.Caught)
	}
	cmd := exec.Command(r.Opts.Exe, args...)
	cmd.Env = append(os.Environ(), r.Opts.Env...)
	for k, v := range j.Step.Step.Options.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if len(inputs) > maxArgInputs {
		cmd.Stdin = strings.NewReader(inputs)
	}
	var stdout, stderr bytes.Buffer
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start task: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.pump(j, "stdout", outPipe, &stdout) }()
	go func() { defer wg.Done(); c.pump(j, "stderr", errPipe, &stderr) }()

	waited := make(chan error, 1)
	go func() { wg.Wait(); waited <- cmd.Wait() }()
	var timeout <-chan time.Time
	if d := j.Step.Step.Options.Timeout; d > 0 {
		// The task enforces its own timeout; this catches code that ignores it.
		t := time.NewTimer(d + killGrace)
		defer t.Stop()
		timeout = t.C
	}
	var reason string
	var werr error
	select {
	case werr = <-waited:
	case <-timeout:
		reason = fmt.Sprintf("step %s timed out after %s and was killed", j.Step.Name, j.Step.Step.Options.Timeout)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		werr = <-waited
	case <-ctx.Done():
		reason = "interrupted"
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case werr = <-waited:
		case <-time.After(killGrace):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			werr = <-waited
		}
	}
	bg := context.WithoutCancel(ctx)
	if err := c.saveLogs(bg, j, &stdout, &stderr); err != nil {
		return nil, err
	}
	got, err := r.Store.Attempt(bg, j.Run, j.Step.Name, j.ID, j.Attempt)
	if err == nil {
		return &got, nil
	}
	if err != nil && !datastore.IsNotFound(err) {
		return nil, err
	}
	// The child died without a record, or was killed: record the failure.
	code := task.ExitStatus(werr)
	if code == 2 && reason == "" {
		// Bad input: the step command printed why on stderr.
		return nil, fmt.Errorf("step command refused the task: %s", lastLine(stderr.Bytes()))
	}
	if reason == "" {
		reason = task.DescribeExit(werr)
		if tail := lastLine(stderr.Bytes()); tail != "" {
			reason += ": " + tail
		}
	}
	rec := task.CrashRecord(task.Spec{RunID: j.Run, Step: j.Step.Name, TaskID: j.ID, Attempt: j.Attempt,
		Inputs: j.Inputs, Indices: j.Indices}, start, code, reason)
	if err := r.Store.PutAttempt(bg, rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

func (c *childProcess) pump(j *Job, stream string, rd io.Reader, buf *bytes.Buffer) {
	br := bufio.NewReader(rd)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			buf.Write(line)
			c.r.Reporter.Output(j, stream, line)
		}
		if err != nil {
			return
		}
	}
}

func (c *childProcess) saveLogs(ctx context.Context, j *Job, stdout, stderr *bytes.Buffer) error {
	for _, l := range []struct {
		name string
		buf  *bytes.Buffer
	}{{"stdout", stdout}, {"stderr", stderr}} {
		if l.buf.Len() == 0 {
			continue
		}
		if err := c.r.Store.PutLog(ctx, j.Run, j.Step.Name, j.ID, j.Attempt, l.name, bytes.NewReader(l.buf.Bytes())); err != nil {
			return fmt.Errorf("save %s of %s: %w", l.name, j.Pathspec(), err)
		}
	}
	return nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// inProcess runs attempts as goroutines of the runtime's own process. It is
// faster, but offers no crash isolation, and a timed-out step keeps running
// in the background until the run ends. A step with Env options runs in a
// child process all the same: environment variables belong to a process,
// and tasks running side by side may need different values.
type inProcess struct{ r *Runner }

func (p *inProcess) Execute(ctx context.Context, j *Job) (*datastore.Attempt, error) {
	if len(j.Step.Step.Options.Env) > 0 {
		return (&childProcess{r: p.r}).Execute(ctx, j)
	}
	var out bytes.Buffer
	w := &lineWriter{fn: func(line []byte) { p.r.Reporter.Output(j, "stdout", line) }, buf: &out}
	ex := &task.Executor{Flow: p.r.Flow, Graph: p.r.Graph, Store: p.r.Store, Out: w}
	rec, err := ex.Run(ctx, task.Spec{RunID: j.Run, Step: j.Step.Name, TaskID: j.ID, Indices: j.Indices,
		Attempt: j.Attempt, Inputs: j.Inputs, Caught: j.Caught})
	w.flush()
	if err != nil {
		return nil, err
	}
	if out.Len() > 0 {
		if err := p.r.Store.PutLog(context.WithoutCancel(ctx), j.Run, j.Step.Name, j.ID, j.Attempt, "stdout", bytes.NewReader(out.Bytes())); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// lineWriter buffers writes and hands complete lines to fn.
type lineWriter struct {
	mu      sync.Mutex
	fn      func([]byte)
	buf     *bytes.Buffer
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.fn(w.partial[:i+1])
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.fn(append(w.partial, '\n'))
		w.partial = nil
	}
}
