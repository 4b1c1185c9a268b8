package task

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/taskcontract"
)

// KillGrace is the one grace policy of a supervised task: the time a task
// process gets between being told to stop and SIGKILL. Told to stop is
// SIGTERM (the local runtime interrupted, AWS Batch terminating the job or
// timing it out) or the step's own timeout, which the task enforces
// in-process. 15 s fits inside the 30 s ECS/Batch gives a container
// between SIGTERM and SIGKILL, leaving the supervisor time to save the
// logs and record the attempt; a well-behaved task records its
// interrupted attempt and exits long before.
const KillGrace = 15 * time.Second

// LogPartEvery is how often a supervised task's output so far is saved
// while it runs: each stream's bytes written since the last save become
// a new log part (datastore.Logs.PutPart), so that viewers (logs, the
// UI) tail a running task. Nothing is saved in a period without output.
const LogPartEvery = 5 * time.Second

// Supervisor runs one attempt as a child process of the flow binary
// (`<exe> step ...`, a taskcontract.Invocation) and keeps what only a
// process outside it can: the child runs in its own process group; its
// stdout and stderr lines go to Output as they come and are spooled to
// unlinked temporary files (memory stays bounded whatever the task
// prints), saved in parts while it runs (LogPartEvery) and whole with the
// attempt when it ends; the step timeout and cancellation
// are enforced with KillGrace; and a child that dies without writing its
// attempt record (os.Exit, a runtime crash, the OOM killer, a signal) gets
// a failed one (CrashRecord) with how it ended and the last line of stderr.
//
// The local runtime (child-process mode) and the step command under
// STEPFLOW_CAPTURE_LOGS=1 (an AWS Batch job) both use it.
type Supervisor struct {
	Store *datastore.Store
	// Exe is the flow binary; empty means this executable.
	Exe string
	// Env is appended to the supervisor's own environment, from which the
	// task contract's variables are removed (Invocation.Env).
	Env []string
	// Timeout is the step's timeout (0: none). The task enforces it
	// itself; the child is killed Timeout+Grace after it starts.
	Timeout time.Duration
	// Grace replaces KillGrace (tests).
	Grace time.Duration
	// Output, when set, receives each line of the child's output as it
	// comes, with its newline, stream "stdout" or "stderr"; a line longer
	// than 64 KiB arrives in pieces. Calls for the two streams may be
	// concurrent.
	Output func(stream string, line []byte)
	// AttemptEnv goes into a crash record's Env (the AWS Batch job id).
	AttemptEnv map[string]string
	// RecordRefusal records a crash also when the child refused its input
	// (exit 2) without writing a record; otherwise Result.Record is nil
	// then.
	RecordRefusal bool
	// TempDir holds the spool files; empty means os.TempDir().
	TempDir string
	// LogEvery replaces LogPartEvery (tests); negative saves no parts.
	LogEvery time.Duration
}

// Result is how a supervised attempt ended.
type Result struct {
	// Record is the attempt's record: the child's, or the crash record
	// the supervisor wrote. Nil only for a refusal without RecordRefusal.
	Record *datastore.Attempt
	// ExitCode is the child's exit status (128+N for signal N).
	ExitCode int
	// Refused says the child exited 2 (bad input) on its own, without a
	// record.
	Refused bool
	// Crashed says the supervisor wrote Record.
	Crashed bool
	// StderrTail is the last non-empty line of the child's stderr.
	StderrTail string
	// Logged is the number of bytes of each stream saved with the attempt.
	Logged map[string]int64
	// LogErr is why the logs could not be saved; the attempt is recorded
	// all the same.
	LogErr error
	// Parts is the number of log parts saved while the task ran, and
	// PartErr the last reason one could not be (the next period tries
	// again; the whole log is saved at the end all the same).
	Parts   int
	PartErr error

	buffered int // the most output bytes held in memory at once (tests)
}

func (s *Supervisor) logEvery() time.Duration {
	if s.LogEvery != 0 {
		return s.LogEvery
	}
	return LogPartEvery
}

func (s *Supervisor) grace() time.Duration {
	if s.Grace > 0 {
		return s.Grace
	}
	return KillGrace
}

// Run runs the attempt inv describes and returns how it ended. Errors are
// a child that could not start or a datastore that failed.
func (s *Supervisor) Run(ctx context.Context, inv taskcontract.Invocation) (*Result, error) {
	exe := s.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("supervise the task: %w", err)
		}
	}
	spec := SpecOf(inv)
	spec.Env = s.AttemptEnv
	if spec.TaskID == "" {
		spec.TaskID = pathspec.TaskID(spec.Indices)
	}
	cmd := exec.Command(exe, inv.Args()...)
	cmd.Env = append(inv.Env(os.Environ()), s.Env...)
	cmd.Stdin = inv.Stdin()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A grandchild outside the group holding the pipes open.
	cmd.WaitDelay = 5 * time.Second
	streams := map[string]*stream{}
	for _, name := range []string{"stdout", "stderr"} {
		st := &stream{name: name, dir: s.TempDir, out: s.Output}
		defer st.close()
		streams[name] = st
	}
	streams["stderr"].tail = &tailBuffer{}
	cmd.Stdout, cmd.Stderr = streams["stdout"], streams["stderr"]

	start := time.Now().UTC()
	// Views of the run count the attempt as running from now on.
	if err := s.Store.Attempts().PutStarted(ctx, spec.RunID, spec.Step, spec.TaskID, spec.Attempt, start); err != nil {
		return nil, fmt.Errorf("start the task: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the task process: %w", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var parts *partSaver
	if every := s.logEvery(); every > 0 {
		parts = &partSaver{logs: s.Store.Logs(), spec: spec, streams: streams, stop: make(chan struct{}), done: make(chan struct{})}
		go parts.run(context.WithoutCancel(ctx), every)
	}
	kill := func(sig syscall.Signal) { _ = syscall.Kill(-cmd.Process.Pid, sig) }
	var timeout <-chan time.Time
	if s.Timeout > 0 {
		t := time.NewTimer(s.Timeout + s.grace())
		defer t.Stop()
		timeout = t.C
	}
	var werr error
	reason := ""
	select {
	case werr = <-waited:
	case <-timeout:
		// The task had its grace after its own timeout.
		reason = fmt.Sprintf("step %s timed out after %s and was killed", inv.Step, s.Timeout)
		kill(syscall.SIGKILL)
		werr = <-waited
	case <-ctx.Done():
		reason = "the task was interrupted (SIGTERM)"
		kill(syscall.SIGTERM)
		t := time.NewTimer(s.grace())
		select {
		case werr = <-waited:
		case <-t.C:
			reason = fmt.Sprintf("the task was interrupted and killed after a grace of %s", s.grace())
			kill(syscall.SIGKILL)
			werr = <-waited
		}
		t.Stop()
	}
	if parts != nil {
		// Before the whole log: a part never lands after it.
		close(parts.stop)
		<-parts.done
	}
	buffered := 0
	for _, st := range streams {
		st.flush()
		buffered += st.peak
		if st.tail != nil {
			buffered += cap(st.tail.b)
		}
	}

	bg := context.WithoutCancel(ctx)
	res := &Result{ExitCode: ExitStatus(werr), StderrTail: streams["stderr"].tail.last(), Logged: map[string]int64{}, buffered: buffered}
	if parts != nil {
		res.Parts, res.PartErr = parts.saved, parts.err
	}
	for _, name := range []string{"stdout", "stderr"} {
		st := streams[name]
		if st.err != nil {
			res.LogErr = fmt.Errorf("spool the %s of the task: %w", name, st.err)
			continue
		}
		if st.n == 0 {
			continue
		}
		if _, err := st.spool.Seek(0, io.SeekStart); err != nil {
			res.LogErr = err
			continue
		}
		if err := s.Store.Logs().Put(bg, spec.RunID, spec.Step, spec.TaskID, spec.Attempt, name, io.LimitReader(st.spool, st.n)); err != nil {
			res.LogErr = fmt.Errorf("save the %s of %s: %w", name, pathspec.Task(spec.RunID, spec.Step, spec.TaskID), err)
			continue
		}
		res.Logged[name] = st.n
	}

	rec, err := s.Store.Attempts().Get(bg, spec.RunID, spec.Step, spec.TaskID, spec.Attempt)
	if err == nil {
		res.Record = &rec
		return res, nil
	}
	if !datastore.IsNotFound(err) {
		return nil, err
	}
	if res.ExitCode == 2 && reason == "" {
		res.Refused = true
		if !s.RecordRefusal {
			return res, nil
		}
	}
	if reason == "" {
		reason = DescribeExit(werr)
	}
	if res.StderrTail != "" {
		reason += ": " + res.StderrTail
	}
	rec = CrashRecord(spec, start, res.ExitCode, reason)
	if err := s.Store.Attempts().Put(bg, rec); err != nil {
		return nil, fmt.Errorf("record the failure of the task (%s): %w", reason, err)
	}
	res.Record, res.Crashed = &rec, true
	return res, nil
}

// maxLine is the longest piece of a line handed to Output: the most a
// stream holds in memory.
const maxLine = 64 << 10

// stream spools one output stream of the child to a file and hands its
// lines to out. exec.Cmd's copying goroutine is its only writer. The spool
// is an unlinked temporary file in dir, created by the first write: most
// tasks print nothing, and two files fewer per task is a measurable part
// of a small task's cost.
type stream struct {
	name  string
	dir   string
	mu    sync.Mutex // guards spool, n and err for the part saver
	spool *os.File   // nil until the first write
	n     int64
	err   error
	// written, part: how much of the spool the part saver saved, in how
	// many parts; the part saver's alone.
	written int64
	part    int
	out     func(stream string, line []byte)
	tail    *tailBuffer
	partial []byte
	peak    int // the most partial ever held (tests)
}

func (s *stream) Write(p []byte) (int, error) {
	written := len(p)
	s.mu.Lock()
	if s.spool == nil && s.err == nil {
		s.spool, s.err = createSpool(s.dir, s.name)
	}
	if s.err == nil {
		var n int
		n, s.err = s.spool.Write(p)
		s.n += int64(n)
	}
	s.mu.Unlock()
	if s.tail != nil {
		s.tail.Write(p)
	}
	if s.out == nil {
		return written, nil
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i >= 0 && len(s.partial)+i+1 <= maxLine {
			s.emit(append(s.partial, p[:i+1]...))
			p = p[i+1:]
			continue
		}
		room := maxLine - len(s.partial)
		if i < 0 && len(p) < room {
			s.partial = append(s.partial, p...)
			break
		}
		// A line longer than maxLine: hand it on in pieces.
		s.partial = append(s.partial, p[:room]...)
		p = p[room:]
		s.emit(append(s.partial, '\n'))
	}
	if len(s.partial) > s.peak {
		s.peak = len(s.partial)
	}
	return written, nil
}

// copyBuffers holds the buffers streams copy a child's pipe through, so
// that the runtime does not allocate 64 KiB per task (exec.Cmd's copy
// otherwise takes a new 32 KiB buffer for each stream).
var copyBuffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// ReadFrom copies r (the child's pipe) into the stream until EOF.
func (s *stream) ReadFrom(r io.Reader) (int64, error) {
	buf := copyBuffers.Get().(*[32 << 10]byte)
	defer copyBuffers.Put(buf)
	var total int64
	for {
		n, err := r.Read(buf[:])
		if n > 0 {
			s.Write(buf[:n])
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (s *stream) emit(line []byte) {
	s.out(s.name, bytes.Clone(line)) // Output may keep it
	s.partial = s.partial[:0]
}

// flush hands on an unterminated last line.
func (s *stream) flush() {
	if len(s.partial) > 0 {
		s.emit(append(s.partial, '\n'))
	}
}

// createSpool creates an unlinked temporary file in dir (empty: the
// system's): it is gone when closed, even after a crash.
func createSpool(dir, name string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "stepflow-"+name+"-*")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name())
	return f, nil
}

// spooled is the number of bytes in the spool, and the spool (nil when
// nothing was written).
func (s *stream) spooled() (int64, *os.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n, s.spool
}

// close closes the spool, if one was created.
func (s *stream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spool != nil {
		s.spool.Close()
	}
}

// partSaver saves the output spooled since its last save as a new log
// part of each stream, every period, until stop is closed; then it closes
// done.
type partSaver struct {
	logs    *datastore.Logs
	spec    Spec
	streams map[string]*stream
	stop    chan struct{}
	done    chan struct{}
	saved   int   // parts saved
	err     error // the last failure
}

func (p *partSaver) run(ctx context.Context, every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		for _, name := range []string{"stdout", "stderr"} {
			st := p.streams[name]
			n, spool := st.spooled()
			if n <= st.written {
				continue
			}
			// The spool's bytes up to n are written; ReadAt does not move
			// the offset the writer appends at.
			err := p.logs.PutPart(ctx, p.spec.RunID, p.spec.Step, p.spec.TaskID, p.spec.Attempt, name, st.part+1,
				io.NewSectionReader(spool, st.written, n-st.written))
			if err != nil {
				p.err = err
				continue
			}
			st.part++
			st.written = n
			p.saved++
		}
	}
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

const tailSize = 4 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(p) >= tailSize {
		t.b = append(t.b[:0], p[len(p)-tailSize:]...)
		return len(p), nil
	}
	t.b = append(t.b, p...)
	if len(t.b) > tailSize {
		t.b = append(t.b[:0], t.b[len(t.b)-tailSize:]...)
	}
	return len(p), nil
}

// last is the last non-empty line.
func (t *tailBuffer) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(bytes.ToValidUTF8(t.b, nil))), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// SpecOf is the task spec of a step invocation.
func SpecOf(inv taskcontract.Invocation) Spec {
	return Spec{RunID: inv.RunID, Step: inv.Step, TaskID: inv.TaskID, Indices: inv.Indices, Attempt: inv.Attempt,
		Inputs: inv.Inputs, Params: inv.Params, Configs: inv.Configs, Trigger: inv.Trigger, Caught: inv.Caught, CaughtIsName: inv.CaughtIsName,
		CacheKey: inv.CacheKey}
}
