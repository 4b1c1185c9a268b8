package runner_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/flowcmd"
	"github.com/stepflow/stepflow/internal/taskcontract"
	"github.com/stepflow/stepflow/internal/testbin"
	"github.com/stepflow/stepflow/internal/testproc"
)

// bins holds the test flows, built once (testbin: shared with other test
// packages, cached on disk), in a directory of links by name.
var bins string

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	flag.Parse()
	// The parallel tests wait on sleeps, retry delays and child processes.
	testproc.WaitingParallel(8)
	dir, err := os.MkdirTemp("", "stepflow-runner-test")
	if err != nil {
		panic(err)
	}
	bins = filepath.Join(dir, "bin")
	scratch = dir
	var pkgs []string
	for _, name := range []string{"faultflow", "noopflow", "shapesflow", "cachedflow"} {
		pkgs = append(pkgs, "./internal/runner/testdata/"+name)
	}
	if err := testbin.Dir(bins, testbin.Options{}, pkgs...); err != nil {
		fmt.Fprintf(os.Stderr, "build the test flows: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one finished invocation of a flow binary.
type result struct {
	code           int
	stdout, stderr string
}

// flowRun runs a test flow binary with a datastore in root.
func flowRun(t *testing.T, root, bin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(bins, bin), append(args, "--datastore-root", root)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func store(t *testing.T, root, flow string) *datastore.Store {
	t.Helper()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return datastore.NewStore(b, flow)
}

// latestRun returns the newest run and its end record.
func latestRun(t *testing.T, s *datastore.Store) (datastore.Run, *datastore.RunEnd) {
	t.Helper()
	runs, err := s.Runs().List(context.Background())
	if err != nil || len(runs) == 0 {
		t.Fatalf("no runs: %v", err)
	}
	r, end, err := s.Runs().Get(context.Background(), runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return r, end
}

// artifacts decodes the artifacts of a task's latest attempt into a map of
// JSON values.
func artifacts(t *testing.T, s *datastore.Store, run, step, task string) map[string]any {
	t.Helper()
	ctx := context.Background()
	a, err := s.Attempts().Latest(ctx, run, step, task)
	if err != nil {
		t.Fatalf("%s/%s/%s: %v", run, step, task, err)
	}
	out := map[string]any{}
	for name, ref := range a.Artifacts {
		data, err := s.Blobs().Get(ctx, ref.Hash)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if ref.Encoding != artifact.Bytes {
			// The JSON form, as the inspector's dump --json shows it.
			if err := artifact.Decode(data, ref.Encoding, reflect.ValueOf(&v)); err != nil {
				t.Fatal(err)
			}
		} else {
			v = data
		}
		out[name] = v
	}
	return out
}

func modes() map[string][]string {
	return map[string][]string{"child": nil, "in-process": {"--in-process"}}
}

func TestRetryDelayAndAttempt(t *testing.T) {
	t.Parallel() // waits on sleeps, delays and child processes more than it uses the CPU
	for mode, extra := range modes() {
		t.Run(mode, func(t *testing.T) {
			root := t.TempDir()
			r := flowRun(t, root, "faultflow", append([]string{"run", "--fail-till", "2"}, extra...)...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			s := store(t, root, "FaultFlow")
			run, end := latestRun(t, s)
			if end == nil || end.Status != "succeeded" {
				t.Fatalf("run end %+v", end)
			}
			got := artifacts(t, s, run.ID, "end", "0")
			if got["Attempt"] != 2.0 || got["Total"] != 30.0 || got["Done"] != true {
				t.Fatalf("final artifacts %v", got)
			}
			ctx := context.Background()
			var prev datastore.Attempt
			for i, wantDelay := range []time.Duration{0, 200 * time.Millisecond, 400 * time.Millisecond} {
				a, err := s.Attempts().Get(ctx, run.ID, "flaky", "0", i)
				if err != nil {
					t.Fatal(err)
				}
				wantStatus := "failed"
				if i == 2 {
					wantStatus = "succeeded"
				}
				if a.Status != wantStatus {
					t.Errorf("attempt %d: status %s, want %s", i, a.Status, wantStatus)
				}
				if i > 0 && a.Start.Sub(prev.End) < wantDelay {
					t.Errorf("attempt %d started %s after attempt %d ended; want at least %s", i, a.Start.Sub(prev.End), i-1, wantDelay)
				}
				prev = a
			}
		})
	}
}

func TestCatch(t *testing.T) {
	t.Parallel() // waits on sleeps, delays and child processes more than it uses the CPU
	cases := []struct {
		risky, want string
		childOnly   bool
	}{
		{"fail", "risky failure", false},
		{"panic", "assignment to entry in nil map", false},
		{"exit", "exited with status 3", true},
		{"hang", "timed out after 1s", true},
	}
	for mode, extra := range modes() {
		for _, c := range cases {
			if c.childOnly && mode != "child" {
				continue // os.Exit and an endless step cannot be isolated in-process
			}
			t.Run(mode+"/"+c.risky, func(t *testing.T) {
				root := t.TempDir()
				r := flowRun(t, root, "faultflow", append([]string{"run", "--risky", c.risky}, extra...)...)
				if r.code != 0 {
					t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				s := store(t, root, "FaultFlow")
				run, _ := latestRun(t, s)
				caught, _ := artifacts(t, s, run.ID, "end", "0")["Caught"].(map[string]any)
				if caught["Step"] != "risky" || !strings.Contains(fmt.Sprint(caught["Error"]), c.want) {
					t.Fatalf("Caught = %v, want an error containing %q", caught, c.want)
				}
				failed, err := s.Attempts().Get(context.Background(), run.ID, "risky", "0", 0)
				if err != nil || failed.Status != "failed" || !strings.Contains(failed.Error, c.want) {
					t.Fatalf("failed attempt %+v %v", failed, err)
				}
			})
		}
	}
}

func TestFailedRun(t *testing.T) {
	root := t.TempDir()
	r := flowRun(t, root, "faultflow", "run", "--fragile", "fail")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "logs ") || !strings.Contains(r.stdout, "fragile failure") {
		t.Errorf("output does not name the failure:\n%s%s", r.stdout, r.stderr)
	}
	s := store(t, root, "FaultFlow")
	run, end := latestRun(t, s)
	if end == nil || end.Status != "failed" || !strings.Contains(end.Error, run.ID+"/fragile/0") {
		t.Fatalf("run end %+v", end)
	}
	if _, err := s.Attempts().Latest(context.Background(), run.ID, "end", "0"); !datastore.IsNotFound(err) {
		t.Fatalf("end ran after a failure: %v", err)
	}
}

func TestBadParameter(t *testing.T) {
	root := t.TempDir()
	r := flowRun(t, root, "faultflow", "run", "--n", "many")
	if r.code != 2 || !strings.Contains(r.stderr, `parameter n: value "many" is not an integer`) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	r = flowRun(t, root, "faultflow", "resume", "--origin-run-id", "nope")
	if r.code != 2 || !strings.Contains(r.stderr, "run nope of flow FaultFlow does not exist") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	r = flowRun(t, root, "faultflow", "run", "--max-num-splits", "2")
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "has 4 items, more than --max-num-splits 2") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestConcurrentRuns(t *testing.T) {
	root := t.TempDir()
	done := make(chan result, 2)
	for i := 0; i < 2; i++ {
		go func() { done <- flowRun(t, root, "faultflow", "run", "--n", "6") }()
	}
	for i := 0; i < 2; i++ {
		if r := <-done; r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	s := store(t, root, "FaultFlow")
	runs, err := s.Runs().List(context.Background())
	if err != nil || len(runs) != 2 || runs[0].ID == runs[1].ID {
		t.Fatalf("runs %v %v", runs, err)
	}
	for _, r := range runs {
		if got := artifacts(t, s, r.ID, "end", "0")["Total"]; got != 91.0 {
			t.Errorf("run %s: Total %v, want 91", r.ID, got)
		}
	}
}

// TestInterruptThenResume stops a run mid-foreach with Ctrl-C (SIGINT) or
// kill -9, resumes it, and checks the result equals an uninterrupted run.
func TestInterruptThenResume(t *testing.T) {
	t.Parallel() // waits on sleeps and child processes more than it uses the CPU
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			s := store(t, root, "FaultFlow")
			args := []string{"run", "--n", "8", "--sleep", "300ms", "--max-workers", "2", "--datastore-root", root}
			cmd := exec.Command(filepath.Join(bins, "faultflow"), args...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until some foreach tasks have finished.
			deadline := time.Now().Add(2 * time.Minute) // generous: a busy machine is slow, not wrong
			for {
				n := 0
				filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
					if err == nil && strings.Contains(p, "/work/") && info.Name() == "attempt.json" {
						n++
					}
					return nil
				})
				if n >= 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no task finished in time\n%s", out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			if sig == syscall.SIGINT {
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
					t.Fatalf("interrupted run: %v, want exit 1\n%s", err, out.String())
				}
				_, end := latestRun(t, s)
				if end == nil || end.Status != "failed" {
					t.Fatalf("interrupted run end %+v", end)
				}
			} else {
				waitOrphans(t, root)
			}
			origin, _ := latestRun(t, s)
			r := flowRun(t, root, "faultflow", "resume")
			if r.code != 0 {
				t.Fatalf("resume: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "reused") {
				t.Errorf("resume reused nothing:\n%s", r.stdout)
			}
			resumed, end := latestRun(t, s)
			if resumed.Origin != origin.ID || end == nil || end.Status != "succeeded" {
				t.Fatalf("resumed run %+v end %+v", resumed, end)
			}
			got := artifacts(t, s, resumed.ID, "end", "0")
			freshRoot := t.TempDir()
			if fresh := flowRun(t, freshRoot, "faultflow", "run", "--n", "8", "--sleep", "300ms"); fresh.code != 0 {
				t.Fatal(fresh.stderr)
			}
			fs := store(t, freshRoot, "FaultFlow")
			freshRun, _ := latestRun(t, fs)
			want := artifacts(t, fs, freshRun.ID, "end", "0")
			if fmt.Sprint(got) != fmt.Sprint(want) || got["Total"] != 204.0 {
				t.Fatalf("resumed final artifacts\n%v\nwant (uninterrupted run)\n%v", got, want)
			}
		})
	}
}

func TestResumeFromStep(t *testing.T) {
	root := t.TempDir()
	if r := flowRun(t, root, "faultflow", "run"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	s := store(t, root, "FaultFlow")
	origin, _ := latestRun(t, s)
	r := flowRun(t, root, "faultflow", "resume", "--origin-run-id", origin.ID, "flaky")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	resumed, _ := latestRun(t, s)
	if resumed.ResumeStep != "flaky" {
		t.Errorf("resume step %q", resumed.ResumeStep)
	}
	ctx := context.Background()
	for step, reused := range map[string]bool{"start": true, "join": true, "flaky": false, "end": false} {
		a, err := s.Attempts().Latest(ctx, resumed.ID, step, "0")
		if err != nil {
			t.Fatal(err)
		}
		if (a.Origin != "") != reused {
			t.Errorf("step %s: origin %q, want reused=%v", step, a.Origin, reused)
		}
	}
}

func TestCorruptBlobDetected(t *testing.T) {
	root := t.TempDir()
	if r := flowRun(t, root, "faultflow", "run"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	s := store(t, root, "FaultFlow")
	run, _ := latestRun(t, s)
	a, err := s.Attempts().Latest(context.Background(), run.ID, "fragile", "0")
	if err != nil {
		t.Fatal(err)
	}
	h := a.Artifacts["Total"].Hash
	path := filepath.Join(root, "FaultFlow", "blobs", h[:2], h)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := flowRun(t, root, "faultflow", "step", "end", "--run-id", run.ID, "--attempt", "1")
	if r.code != 1 || !strings.Contains(r.stderr, h) || !strings.Contains(r.stderr, "corrupt") {
		t.Fatalf("exit %d, want 1 and an error naming blob %s:\n%s", r.code, h, r.stderr)
	}
}

// A join of a wide foreach gets more input paths than fit in one command-line
// argument; they reach the task on its standard input. 1,100 paths of a
// run are just over taskcontract.MaxArgInputs (checked below, so that the
// test keeps testing the standard input if the limit or the paths change).
// The foreach runs in-process; the join, which has an Env option, in a
// child process all the same (checked below by the processes' ids).
func TestWideJoinInputs(t *testing.T) {
	t.Parallel() // its CPU beside the parallel tests that mostly wait
	const n = 1100
	root := t.TempDir()
	r := flowRun(t, root, "noopflow", "run", "--n", strconv.Itoa(n), "--max-num-splits", strconv.Itoa(n), "--quiet", "--in-process")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	s := store(t, root, "NoopFlow")
	run, _ := latestRun(t, s)
	a, err := s.Attempts().Latest(context.Background(), run.ID, "join", "0")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Inputs) != n || a.Inputs[n-1] != run.ID+"/noop/"+strconv.Itoa(n-1) {
		t.Fatalf("join inputs: %d, last %q", len(a.Inputs), a.Inputs[len(a.Inputs)-1])
	}
	if l := len(strings.Join(a.Inputs, ",")); l <= taskcontract.MaxArgInputs {
		t.Fatalf("the join's %d input paths are %d bytes joined, which fit in an argument (taskcontract.MaxArgInputs %d): make n larger",
			n, l, taskcontract.MaxArgInputs)
	}
	end := artifacts(t, s, run.ID, "end", "0")
	if got := end["Count"]; got != float64(n) {
		t.Errorf("Count = %v, want %d", got, n)
	}
	if end["JoinPID"] == end["EndPID"] || end["JoinPID"] == 0.0 {
		t.Errorf("the join ran in process %v, the end step (in-process) in %v: the join did not run in a child process", end["JoinPID"], end["EndPID"])
	}
}

// A foreach over an empty slice goes straight to its join, which continues
// from the foreach task's state (parameters included).
func TestEmptyForeach(t *testing.T) {
	for mode, extra := range modes() {
		t.Run(mode, func(t *testing.T) {
			root := t.TempDir()
			r := flowRun(t, root, "faultflow", append([]string{"run", "--n", "0", "--risky", "fail"}, extra...)...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			s := store(t, root, "FaultFlow")
			run, _ := latestRun(t, s)
			got := artifacts(t, s, run.ID, "end", "0")
			caught, _ := got["Caught"].(map[string]any)
			if got["Risky"] != "fail" || got["Total"] != 0.0 || caught["Step"] != "risky" {
				t.Fatalf("final artifacts %v", got)
			}
			if _, err := s.Attempts().Latest(context.Background(), run.ID, "work", "0"); !datastore.IsNotFound(err) {
				t.Errorf("a work task ran: %v", err)
			}
		})
	}
}

// Switches inside a foreach and inside a branch, and nested branches, join
// their inputs in split order whichever case ran.
func TestShapes(t *testing.T) {
	for mode, extra := range modes() {
		t.Run(mode, func(t *testing.T) {
			root := t.TempDir()
			if r := flowRun(t, root, "shapesflow", append([]string{"run"}, extra...)...); r.code != 0 {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			s := store(t, root, "ShapesFlow")
			run, _ := latestRun(t, s)
			if got, want := artifacts(t, s, run.ID, "end", "0")["Report"], "go,flow,AWS!,step | left-down | right | r1+r2"; got != want {
				t.Errorf("Report = %v, want %q", got, want)
			}
		})
	}
}

// A resume reuses the origin's runtime flags unless given again, and what
// succeeded anywhere in a chain of resumes.
func TestResumeChainAndFlags(t *testing.T) {
	root := t.TempDir()
	s := store(t, root, "FaultFlow")
	ctx := context.Background()
	if r := flowRun(t, root, "faultflow", "run", "--fragile", "fail", "--max-workers", "3", "--in-process"); r.code != 1 {
		t.Fatalf("run A: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	a, _ := latestRun(t, s)
	if o := a.Options; o == nil || !reflect.DeepEqual(*o, datastore.RunOptions{MaxWorkers: 3, MaxNumSplits: 100, InProcess: true}) {
		t.Fatalf("run A options %+v", o)
	}
	if r := flowRun(t, root, "faultflow", "resume", "--max-num-splits", "50"); r.code != 1 {
		t.Fatalf("resume B: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, _ := latestRun(t, s)
	if o := b.Options; b.Origin != a.ID || o == nil || !reflect.DeepEqual(*o, datastore.RunOptions{MaxWorkers: 3, MaxNumSplits: 50, InProcess: true}) {
		t.Fatalf("run B (origin %s) options %+v, want A's with max-num-splits 50", b.Origin, o)
	}
	// B lost its record of flaky (as if it had stopped before cloning it):
	// a resume of B still finds flaky's success in A.
	if err := os.RemoveAll(filepath.Join(root, "FaultFlow", "runs", b.ID, "flaky")); err != nil {
		t.Fatal(err)
	}
	if r := flowRun(t, root, "faultflow", "resume", "--max-workers", "1"); r.code != 1 {
		t.Fatalf("resume C: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	c, _ := latestRun(t, s)
	if c.Origin != b.ID || c.Options.MaxWorkers != 1 || c.Options.MaxNumSplits != 50 {
		t.Fatalf("run C: origin %s options %+v", c.Origin, c.Options)
	}
	for step, want := range map[string]string{
		"start": a.ID + "/start/0", // cloned into B, so C points at where it ran
		"flaky": a.ID + "/flaky/0", // not in B: found in A
		"join":  a.ID + "/join/0",
	} {
		got, err := s.Attempts().Latest(ctx, c.ID, step, "0")
		if err != nil {
			t.Fatal(err)
		}
		if got.Origin != want || got.Status != datastore.StatusSucceeded {
			t.Errorf("run C step %s: origin %q status %s, want reused from %s", step, got.Origin, got.Status, want)
		}
	}
	if got, err := s.Attempts().Latest(ctx, c.ID, "fragile", "0"); err != nil || got.Origin != "" || got.Status != datastore.StatusFailed {
		t.Errorf("run C fragile: %+v, %v; want run again (and failed)", got, err)
	}
}

// A task process that has run longer than flowcmd.TaskSignalDelay and gets
// SIGTERM (from its supervisor, or AWS Batch) cancels its step and records
// the interruption itself, exit status 1.
func TestTaskRecordsItsInterruption(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(bins, "faultflow")
	const run = "interrupted"
	out, err := exec.Command(bin, "step", "start", "--run-id", run, "--attempt", "0", "--input-paths", "",
		"--params", `{"n":"1","sleep":"1m"}`, "--datastore-root", root).CombinedOutput()
	if err != nil {
		t.Fatalf("step start: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "step", "work", "--run-id", run, "--indices", "0", "--attempt", "0",
		"--input-paths", run+"/start/0", "--datastore-root", root)
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * flowcmd.TaskSignalDelay)
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("interrupted task: %v, want exit status 1 (a signal death means it recorded nothing)\n%s", err, outb.String())
	}
	rec, err := store(t, root, "FaultFlow").Attempts().Get(context.Background(), run, "work", "0", 0)
	if err != nil {
		t.Fatalf("the interrupted task left no record: %v\n%s", err, outb.String()+listTree(root))
	}
	if rec.Status != datastore.StatusFailed || !strings.Contains(rec.Error, "interrupted") {
		t.Fatalf("record of the interrupted task: status %s, error %q; want failed, interrupted", rec.Status, rec.Error)
	}
}

// listTree lists the paths under root, for failure messages.
func listTree(root string) string {
	var b strings.Builder
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error { b.WriteString(p + "\n"); return nil })
	return b.String()
}
