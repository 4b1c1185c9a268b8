package runner_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/testproc"
)

// countRecords counts the attempt records of step under root.
func countRecords(root, step string) int {
	n := 0
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(p, "/"+step+"/") && info.Name() == "attempt.json" {
			n++
		}
		return nil
	})
	return n
}

// startFlow starts a test flow binary without waiting for it.
func startFlow(t *testing.T, root, bin string, args ...string) (*exec.Cmd, *testproc.Buffer) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bins, bin), append(args, "--datastore-root", root)...)
	out := new(testproc.Buffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// waitFor polls cond until it holds, failing the test after two minutes
// (generous: a busy machine is slow, not wrong).
func waitFor(t *testing.T, what string, out *testproc.Buffer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// taskChild returns the pid of a child process of parent running a task
// of step (its command line holds "step" and the step name), or 0.
func taskChild(parent int, step string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(parent) || f[0] == "Z" {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 2 && args[1] == "step" && slicesContains(args, step) {
			return pid
		}
	}
	return 0
}

// waitOrphans waits until no process (a task orphaned by a killed runtime)
// runs with the datastore root in its command line: whatever it was
// writing is then written, as it is once a crashed run is found and
// resumed by hand.
func waitOrphans(t *testing.T, root string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // generous: a busy machine is slow, not wrong
	for {
		alive := 0
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if slicesContains(strings.Split(string(cmdline), "\x00"), root) && !testproc.Gone(pid) {
				alive++
			}
		}
		if alive == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d task processes of %s still running after 2 minutes", alive, root)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// runArtifacts decodes every artifact of every task of a run: step/task
// -> artifact -> value.
func runArtifacts(t *testing.T, s *datastore.Store, run string) map[string]map[string]any {
	t.Helper()
	ctx := context.Background()
	steps, err := s.Attempts().Steps(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, step := range steps {
		tasks, err := s.Attempts().Tasks(ctx, run, step)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			out[step+"/"+task] = artifacts(t, s, run, step, task)
		}
	}
	return out
}

// TestCrashConsistency kills the runtime with SIGKILL at several points of
// a foreach run (and, once, one task process instead), checks that the
// run then reads as crashed (or failed), resumes it, and compares every
// artifact of every task with an uninterrupted run's; then that a crashed
// origin records the run that resumed it (still crashed, no longer to
// resume) and verify of the flow exits 0.
func TestCrashConsistency(t *testing.T) {
	const n = 6
	args := []string{"--n", strconv.Itoa(n), "--sleep", "150ms", "--max-workers", "2"}
	freshRoot := t.TempDir()
	if r := flowRun(t, freshRoot, "faultflow", append([]string{"run"}, args...)...); r.code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s", r.code, r.stderr)
	}
	fs := store(t, freshRoot, "FaultFlow")
	freshRun, _ := latestRun(t, fs)
	want := runArtifacts(t, fs, freshRun.ID)
	if len(want) != n+6 {
		t.Fatalf("uninterrupted run has %d tasks, want %d", len(want), n+6)
	}

	kills := []kill{{"runtime-after-start", false, -1, false}, {"runtime-after-2", false, 2, false}, {"runtime-after-4", false, 4, false},
		{"runtime-after-all-work", false, n, false}, {"task-process", true, 1, false}, {"runtime-after-2-and-its-resume", false, 2, true}}
	// The kills run side by side: each waits on sleeps and child
	// processes far more than it uses the CPU, and has its own datastore.
	var tried, identical atomic.Int32
	t.Run("kills", func(t *testing.T) {
		for _, k := range kills {
			t.Run(k.name, func(t *testing.T) {
				t.Parallel()
				runKill(t, k, args, want, &tried, &identical)
			})
		}
	})
	t.Logf("crash consistency: kills tried %d, resumed identical %d", tried.Load(), identical.Load())
	if int(identical.Load()) != len(kills) {
		t.Errorf("%d of %d killed runs resumed identical", identical.Load(), len(kills))
	}
}

// kill is one kill point of TestCrashConsistency.
type kill struct {
	name string
	task bool // kill a work task's process, not the runtime
	at   int  // after this many work tasks finished (-1: after start)
	// then resume the killed run, and kill that resume's runtime
	// too once it started: the resume of a crashed resume
	resumeToo bool
}

// runKill is one kill of TestCrashConsistency: it kills a run of the
// flow with args as k says, resumes it, and compares every artifact with
// want, an uninterrupted run's.
func runKill(t *testing.T, k kill, args []string, want map[string]map[string]any, tried, identical *atomic.Int32) {
	var root string
	var s *datastore.Store
	tried.Add(1)
	if k.task {
		// A task found running may finish before the signal lands
		// on a busy machine: then the run succeeds and the kill
		// tried again, a few times, on a fresh run.
		for try := 1; ; try++ {
			root = t.TempDir()
			s = store(t, root, "FaultFlow")
			cmd, out := startFlow(t, root, "faultflow", append([]string{"run"}, args...)...)
			waitFor(t, "the kill point", out, func() bool { return countRecords(root, "work") >= k.at })
			var pid int
			waitFor(t, "a running work task", out, func() bool { pid = taskChild(cmd.Process.Pid, "work"); return pid != 0 })
			// ESRCH: the task ended between being found and the
			// signal; the run then goes on, and is tried again.
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				break // the kill failed the run, as it must
			}
			if try == 5 {
				t.Fatalf("five runs with a killed task succeeded: the task had always finished\n%s", out)
			}
		}
	} else {
		root = t.TempDir()
		s = store(t, root, "FaultFlow")
		cmd, out := startFlow(t, root, "faultflow", append([]string{"run"}, args...)...)
		waitFor(t, "the kill point", out, func() bool {
			if k.at < 0 {
				return countRecords(root, "start") >= 1
			}
			return countRecords(root, "work") >= k.at
		})
		cmd.Process.Kill()
		cmd.Wait()
		waitOrphans(t, root)
	}
	first, _ := latestRun(t, s)
	if k.resumeToo {
		before := countRecords(root, "work")
		cmd, out := startFlow(t, root, "faultflow", "resume", "--origin-run-id", first.ID)
		waitFor(t, "the resume to run a work task", out, func() bool { return countRecords(root, "work") > before+k.at })
		cmd.Process.Kill()
		cmd.Wait()
		waitOrphans(t, root)
	}
	origin, _ := latestRun(t, s)
	c, err := client.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Flow("FaultFlow").Run(context.Background(), origin.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus := client.StatusCrashed
	if k.task {
		wantStatus = client.StatusFailed
	}
	if r.Status != wantStatus {
		t.Errorf("killed run reads as %q, want %q", r.Status, wantStatus)
	}
	res := flowRun(t, root, "faultflow", "resume", "--origin-run-id", origin.ID)
	if res.code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	resumed, end := latestRun(t, s)
	if resumed.Origin != origin.ID || end == nil || end.Status != datastore.StatusSucceeded {
		t.Fatalf("resumed run %+v end %+v", resumed, end)
	}
	got := runArtifacts(t, s, resumed.ID)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed run's artifacts differ from an uninterrupted run's\ngot  %v\nwant %v", got, want)
	}
	// The origin records that it was resumed, and by which run: it
	// no longer asks to be resumed, and verify is clean.
	after, err := c.Flow("FaultFlow").Run(context.Background(), origin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != wantStatus || k.task == (after.ResumedBy != "") || !k.task && after.ResumedBy != resumed.ID {
		t.Fatalf("origin after the resume: status %q, resumed by %q; want %q, resumed by %s", after.Status, after.ResumedBy, wantStatus, resumed.ID)
	}
	if k.resumeToo {
		r0, err := c.Flow("FaultFlow").Run(context.Background(), first.ID)
		if err != nil || r0.Status != client.StatusCrashed || r0.ResumedBy != origin.ID || origin.Origin != first.ID {
			t.Fatalf("first run after two resumes: %+v, %v; want crashed, resumed by %s", r0, err, origin.ID)
		}
	}
	if v := flowRun(t, root, "faultflow", "verify"); v.code != 0 {
		t.Fatalf("verify after the resume: exit %d, want 0\n%s%s", v.code, v.stdout, v.stderr)
	}
	if l := flowRun(t, root, "faultflow", "runs"); strings.Contains(l.stderr, "resume it") {
		t.Fatalf("runs still asks to resume the origin\n%s", l.stderr)
	}
	identical.Add(1)
}

// TestResumeExclusive: while one resume of a run is going, a second one
// refuses with a message naming the first; resuming a run whose runtime
// is alive refuses too.
func TestResumeExclusive(t *testing.T) {
	t.Parallel() // waits on sleeps, delays and child processes more than it uses the CPU
	root := t.TempDir()
	s := store(t, root, "FaultFlow")
	if r := flowRun(t, root, "faultflow", "run", "--fragile", "fail", "--n", "2", "--sleep", "1500ms"); r.code != 1 {
		t.Fatalf("run: exit %d, want 1\n%s", r.code, r.stderr)
	}
	origin, _ := latestRun(t, s)
	// A slow resume: from the start step, with slow work.
	cmd, out := startFlow(t, root, "faultflow", "resume", "--origin-run-id", origin.ID, "start")
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitFor(t, "the first resume to start", out, func() bool { return strings.Contains(out.String(), "started") })
	second := flowRun(t, root, "faultflow", "resume", "--origin-run-id", origin.ID)
	if second.code != 1 || !strings.Contains(second.stderr, "is being resumed by run") {
		t.Errorf("second resume: exit %d, want 1 and a message naming the first\n%s%s", second.code, second.stdout, second.stderr)
	}
	// The first resume's own run is live: resuming it refuses too.
	runs, err := s.Runs().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	live := flowRun(t, root, "faultflow", "resume", "--origin-run-id", runs[0].ID)
	if live.code != 1 || !strings.Contains(live.stderr, "is still running") {
		t.Errorf("resume of a live run: exit %d, want 1 and 'is still running'\n%s%s", live.code, live.stdout, live.stderr)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("first resume succeeded with --fragile fail\n%s", out)
	}
	// Once it ended, resuming is allowed again.
	if r := flowRun(t, root, "faultflow", "resume", "--origin-run-id", origin.ID); !strings.Contains(r.stdout, "started") || strings.Contains(r.stderr, "being resumed") {
		t.Errorf("resume after the first ended: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
