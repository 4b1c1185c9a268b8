package testproc_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/testproc"
)

// TestHelperProcess is not a test: run by TestDiesWithTestProcess (with
// STEPFLOW_TESTPROC_HELPER set) it starts a process tree with testproc,
// prints its pids and waits to be killed (or to time out).
func TestHelperProcess(t *testing.T) {
	if os.Getenv("STEPFLOW_TESTPROC_HELPER") == "" {
		return
	}
	// The parent's directory: the helper's own t.TempDir would outlive it.
	dir := os.Getenv("STEPFLOW_TESTPROC_DIR")
	pids := filepath.Join(dir, "pids")
	// sh, and a grandchild sleep that only the process group kill reaches.
	cmd := exec.Command("/bin/sh", "-c", `sleep 600 & echo $! > "$0"; wait`, pids)
	p, err := testproc.Start("sleeper", cmd, filepath.Join(dir, "sleeper.log"))
	if err != nil {
		t.Fatal(err)
	}
	var grandchild []byte
	if err := p.WaitReady(testproc.StartTimeout(), func() error {
		grandchild, err = os.ReadFile(pids)
		if err == nil && len(grandchild) > 0 && grandchild[len(grandchild)-1] == '\n' {
			return nil
		}
		return fmt.Errorf("no pid in %s yet", pids)
	}); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("PIDS %d %s\n", p.Pid(), strings.TrimSpace(string(grandchild)))
	os.Stdout.Sync()
	if os.Getenv("STEPFLOW_TESTPROC_HELPER") == "panic" {
		time.Sleep(100 * time.Millisecond)
		panic("the helper panics")
	}
	select {} // killed, or go test's -timeout panics
}

// TestDiesWithTestProcess kills (or times out) a test process that started
// a process tree with testproc and checks that the tree is gone, though no
// cleanup code of the test process ran.
func TestDiesWithTestProcess(t *testing.T) {
	for _, how := range []string{"kill9", "timeout", "panic"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			args := []string{"-test.run=^TestHelperProcess$", "-test.v"}
			if how == "timeout" {
				args = append(args, "-test.timeout=1s")
			}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), "STEPFLOW_TESTPROC_HELPER="+how, "STEPFLOW_TESTPROC_DIR="+t.TempDir())
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = cmd.Stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			var pids []int
			var lines []string
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines = append(lines, sc.Text())
				if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "PIDS" {
					for _, s := range f[1:] {
						n, err := strconv.Atoi(s)
						if err != nil {
							t.Fatal(err)
						}
						pids = append(pids, n)
					}
					break
				}
			}
			if len(pids) != 2 {
				t.Fatalf("the helper printed no pids:\n%s", strings.Join(lines, "\n"))
			}
			for _, pid := range pids {
				if testproc.Gone(pid) {
					t.Fatalf("pid %d is gone before the helper ended", pid)
				}
			}
			if how == "kill9" {
				cmd.Process.Kill()
			}
			go func() {
				for sc.Scan() {
				}
			}()
			cmd.Wait()
			deadline := time.Now().Add(testproc.StartTimeout())
			for _, pid := range pids {
				for !testproc.Gone(pid) {
					if time.Now().After(deadline) {
						t.Fatalf("pid %d outlived the test process (%s)", pid, how)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
}

func TestRunKillsGroupOnCancel(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := testproc.Run(ctx, "sleeper", exec.Command("/bin/sh", "-c", `sleep 600 & echo $! > "$0"; wait`, pids))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run: %v", err)
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for deadline := time.Now().Add(10 * time.Second); !testproc.Gone(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the grandchild %d outlived Run", pid)
		}
	}
}

func TestWaitReadyNamesLog(t *testing.T) {
	log := filepath.Join(t.TempDir(), "quitter.log")
	p, err := testproc.Start("quitter", exec.Command("/bin/sh", "-c", "echo going away; exit 3"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	err = p.WaitReady(time.Minute, func() error { return errors.New("not yet") })
	if err == nil || !strings.Contains(err.Error(), log) || !strings.Contains(err.Error(), "going away") {
		t.Fatalf("WaitReady: %v", err)
	}
}
