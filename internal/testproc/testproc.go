// Package testproc runs the background processes tests depend on (the
// emulators: dynalite, aws-local-stepfunctions under Node.js) so that they
// never outlive the test process, however it ends: a test that fails,
// panics, or is killed by go test's -timeout or by kill -9.
//
// Three mechanisms, because t.Cleanup and TestMain's epilogue do not run
// when the process is killed or times out:
//
//   - Setpgid: the process gets its own process group, so that stopping it
//     also stops what it started (the local "Batch jobs" of the Step
//     Functions emulator), and a Ctrl-C in the terminal does not reach it
//     before the test can stop it in order.
//   - Pdeathsig (SIGKILL): the kernel kills the process when the thread
//     that started it exits. Go runs goroutines on any thread and ends
//     threads at will, so the process is started from a dedicated
//     goroutine that calls runtime.LockOSThread and stays on that thread,
//     blocked in Wait, until the process has exited: the signal fires only
//     when the test process itself dies.
//   - A watchdog: a small sh process, in its own group, that reads a pipe
//     whose only writer is the test process. When the test process dies
//     the pipe closes, read returns, and the watchdog kills the whole
//     process group (Pdeathsig reaches only the direct child).
//
// Readiness is polled with a generous deadline (StartTimeout) that scales
// with the machine: a loaded 2-core machine may need many seconds to start
// Node.js. Errors name the process's log file.
package testproc

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StartTimeout is how long a process may take to become ready: 60 s, or
// $STEPFLOW_TEST_START_TIMEOUT (a Go duration).
func StartTimeout() time.Duration {
	if s := os.Getenv("STEPFLOW_TEST_START_TIMEOUT"); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			return d
		}
	}
	return 60 * time.Second
}

// Proc is a started process.
type Proc struct {
	Name string // for messages
	Log  string // its log file ("" if the caller took its output)

	cmd      *exec.Cmd
	done     chan struct{}
	err      error // Wait's result, once done is closed
	watchdog *exec.Cmd
	lifeline *os.File // write end of the watchdog's pipe
	stopOnce sync.Once
}

// Start starts cmd in its own process group with a death signal and a
// watchdog (see the package comment). If cmd has no Stdout/Stderr and log
// is not empty, both go to the file log (created). The caller must call
// Stop (typically in t.Cleanup or TestMain); if it cannot, the process dies
// with the test process anyway.
func Start(name string, cmd *exec.Cmd, log string) (*Proc, error) {
	p := &Proc{Name: name, Log: log, cmd: cmd, done: make(chan struct{})}
	if log != "" && cmd.Stdout == nil && cmd.Stderr == nil {
		f, err := os.Create(log)
		if err != nil {
			return nil, err
		}
		defer f.Close() // the child has its own copy
		cmd.Stdout, cmd.Stderr = f, f
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if cmd.WaitDelay == 0 {
		// Do not wait forever for output a grandchild may keep open.
		cmd.WaitDelay = 10 * time.Second
	}

	started := make(chan error)
	go func() {
		// Pdeathsig fires when this thread exits: keep the goroutine on
		// it, and the thread alive, until the process has exited. The
		// goroutine ends locked, so the runtime ends the thread then,
		// which no longer matters.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	// The process may have died between fork and the death signal being
	// armed (its parent thread exiting): that is not possible here, since
	// the thread outlives it.
	if err := p.startWatchdog(); err != nil {
		p.Stop()
		return nil, fmt.Errorf("start %s's watchdog: %w", name, err)
	}
	return p, nil
}

func (p *Proc) startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	pgid := p.cmd.Process.Pid
	// read returns at EOF: when every write end is closed, that is when
	// the test process has exited (the pipe is close-on-exec, so no
	// other child holds it).
	wd := exec.Command("/bin/sh", "-c", `read _; kill -9 -"$0" 2>/dev/null`, strconv.Itoa(pgid))
	wd.Stdin = r
	wd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := wd.Start(); err != nil {
		w.Close()
		return err
	}
	p.watchdog, p.lifeline = wd, w
	return nil
}

// Pid is the process id (and its process group id).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Stop kills the process and its process group and waits for it. It is
// safe to call more than once, and after the process has exited.
func (p *Proc) Stop() {
	p.stopOnce.Do(func() {
		// Kill the group while its leader is not yet reaped, so that the
		// group id cannot have been reused.
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		if p.watchdog != nil {
			p.watchdog.Process.Kill()
			p.watchdog.Wait()
			p.lifeline.Close()
		}
		<-p.done
	})
}

// Exited describes how the process ended, with the end of its log.
func (p *Proc) Exited() error {
	return fmt.Errorf("%s exited (%v)%s", p.Name, p.err, p.logTail())
}

func (p *Proc) logTail() string {
	if p.Log == "" {
		return ""
	}
	b, _ := os.ReadFile(p.Log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return fmt.Sprintf("; its log %s ends:\n%s", p.Log, strings.TrimSpace(string(b)))
}

// WaitReady polls ready until it returns nil, the process exits, or
// timeout passes; the error says which and names the log file.
func (p *Proc) WaitReady(timeout time.Duration, ready func() error) error {
	start := time.Now()
	deadline := start.Add(timeout)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		select {
		case <-p.done:
			return p.Exited()
		default:
		}
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s (pid %d) was not ready after %v (set STEPFLOW_TEST_START_TIMEOUT to wait longer): %v%s",
				p.Name, p.Pid(), time.Since(start).Round(time.Millisecond), err, p.logTail())
		}
		select {
		case <-p.done:
		case <-time.After(delay):
		}
	}
}

// WaitHTTP waits until url answers HTTP (any status).
func (p *Proc) WaitHTTP(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 5 * time.Second}
	return p.WaitReady(timeout, func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
}

// Run runs cmd like Start and waits for it; when ctx ends first, it kills
// the process group and returns ctx's error. The group is killed at the end
// in any case, so nothing the process started outlives it.
func Run(ctx context.Context, name string, cmd *exec.Cmd) error {
	p, err := Start(name, cmd, "")
	if err != nil {
		return err
	}
	defer p.Stop()
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		p.Stop()
		return fmt.Errorf("%s: %w", name, ctx.Err())
	}
}

// Node returns the Node.js the tests use: the one pinned in the
// repository's package-lock.json, installed into node_modules by
// scripts/test.sh (npm ci), at root/node_modules/.bin/node.
func Node(root string) (string, error) {
	node, err := filepath.Abs(filepath.Join(root, "node_modules", ".bin", "node"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(node); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s is missing: the tests use the Node.js pinned in package-lock.json; run bash scripts/test.sh, or: npm ci --omit=dev && PATH=$PWD/node_modules/.bin:$PATH npm ci (at the repository root)", node)
		}
		return "", err
	}
	return node, nil
}

// NodeOrSkip returns Node(root) to a test that needs the npm test tools.
// When node_modules is missing (a fresh clone before npm ci) it skips the
// rest of the test under go test -short, and fails the test otherwise:
// bash scripts/test.sh, and so CI, installs the tools and never skips.
func NodeOrSkip(t testing.TB, root string) string {
	t.Helper()
	node, err := Node(root)
	if err == nil {
		return node
	}
	if _, statErr := os.Stat(filepath.Join(root, "node_modules")); testing.Short() && errors.Is(statErr, os.ErrNotExist) {
		t.Skip("skipped under -short without node_modules (the npm test tools): bash scripts/test.sh installs them")
	}
	t.Fatal(err)
	return ""
}

// Gone reports whether no process pid exists any more (a zombie, exited
// but not yet reaped by its new parent, counts as gone).
func Gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return os.IsNotExist(err)
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}

// CI reports whether the tests run in CI (CI set, and not "false" or "0").
func CI() bool { v := os.Getenv("CI"); return v != "" && v != "false" && v != "0" }

// Quick reports whether the tests run as the quick loop: go test -short
// outside CI. A long table then runs a sample of its cases (one per kind);
// CI and bash scripts/test.sh (no -short) run every case.
func Quick() bool { return testing.Short() && !CI() }

// SkipShort skips t under go test -short outside CI: for a test that
// starts a heavy emulator or tool (moto_server, cfn-lint, chromium) or
// runs a long table, which the quick loop leaves to the full suite. CI and
// bash scripts/test.sh (no -short) always run it.
func SkipShort(t testing.TB, what string) {
	t.Helper()
	if Quick() {
		t.Skipf("%s: go test -short skips it outside CI; bash scripts/test.sh runs it", what)
	}
}

// WaitingParallel raises go test's -parallel, unless given, to n: for a
// package whose parallel tests wait (on sleeps, retry delays, child
// processes) far more than they use the CPU, so that their waits overlap
// instead of queueing behind GOMAXPROCS slots. Call it from TestMain,
// after flag.Parse.
func WaitingParallel(n int) {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", strconv.Itoa(n))
	}
}
