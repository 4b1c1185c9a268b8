package runner

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/testproc"
)

// events drives a reporter through a run: start, a 3-item foreach whose
// item 1 fails once and succeeds on its retry, and item 2 fails for good.
func events(r Reporter) {
	start := &graph.Node{Name: "start", Step: &flow.Step{Name: "start"}}
	measure := &graph.Node{Name: "measure", Step: &flow.Step{Name: "measure"}, ForeachDepth: 1}
	ok := func(j *Job) *datastore.Attempt {
		return &datastore.Attempt{Status: datastore.StatusSucceeded, Start: time.Unix(0, 0), End: time.Unix(1, 0)}
	}
	bad := &datastore.Attempt{Status: datastore.StatusFailed, Error: "boom\nstack"}
	j0 := &Job{Run: "r", Step: start, ID: "0"}
	r.TaskQueued(j0)
	r.TaskStarted(j0)
	r.TaskDone(j0, ok(j0), false)
	var items []*Job
	for i := 0; i < 3; i++ {
		j := &Job{Run: "r", Step: measure, ID: string(rune('0' + i)), Indices: []int{i}}
		items = append(items, j)
		r.TaskQueued(j)
		r.TaskStarted(j)
		r.Output(j, "stdout", []byte("item output\n"))
	}
	r.TaskDone(items[0], ok(items[0]), false)
	r.TaskDone(items[1], bad, false)
	r.Retrying(items[1], time.Second)
	retry := *items[1]
	retry.Attempt = 1
	r.TaskStarted(&retry)
	r.TaskDone(&retry, ok(&retry), false)
	r.TaskDone(items[2], bad, false)
	r.RunDone("r", &datastore.RunEnd{Status: datastore.StatusFailed, Error: "task r/measure/2 failed"})
}

func TestLineReporter(t *testing.T) {
	var out bytes.Buffer
	events(&LineReporter{W: &out, Order: []string{"start", "measure"}})
	got := out.String()
	for _, want := range []string{
		"r/start/0: started\n", "r/start/0: succeeded in 1s\n",
		"r/measure/1: failed (attempt 0): boom\n", "r/measure/1: retrying in 1s\n",
		"r/measure/2: failed (attempt 0): boom\n",
		"r/measure/0 [stdout] item output\n",
		"measure: 2/3 66%  1 failed  1 retried",
		"run r failed: task r/measure/2 failed\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	// A foreach's tasks get no line each: the summary counts them.
	if strings.Contains(got, "r/measure/0: started") || strings.Contains(got, "r/measure/0: succeeded") {
		t.Errorf("per-task lines for foreach tasks:\n%s", got)
	}

	out.Reset()
	events(&LineReporter{W: &out, Quiet: true})
	want := "r/measure/1: failed (attempt 0): boom\nr/measure/1: retrying in 1s\nr/measure/2: failed (attempt 0): boom\nrun r failed: task r/measure/2 failed\n"
	if out.String() != want {
		t.Errorf("quiet output:\n%s\nwant only failures and the result:\n%s", out.String(), want)
	}
}

// The periodic summary prints the foreach's progress while it goes on.
func TestLineReporterSummary(t *testing.T) {
	var out testproc.Buffer
	l := &LineReporter{W: &out, Every: 10 * time.Millisecond}
	l.Start()
	measure := &graph.Node{Name: "measure", Step: &flow.Step{Name: "measure"}, ForeachDepth: 1}
	for i := 0; i < 4; i++ {
		j := &Job{Run: "r", Step: measure, ID: string(rune('0' + i))}
		l.TaskQueued(j)
		l.TaskStarted(j)
		if i == 0 {
			l.TaskDone(j, &datastore.Attempt{Status: datastore.StatusSucceeded}, false)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "progress: measure 1/4 25%  3 running") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	l.RunDone("r", &datastore.RunEnd{Status: datastore.StatusSucceeded})
	if !strings.Contains(out.String(), "progress: measure 1/4 25%  3 running") {
		t.Errorf("no progress line:\n%s", out.String())
	}
	if n := strings.Count(out.String(), "progress:"); n != 1 {
		t.Errorf("%d progress lines for one change, want 1:\n%s", n, out.String())
	}
}

// The live table counts a task once: a retry that succeeds is not a
// failure, and tasks stopped by an interruption are not running.
func TestLiveReporterCounts(t *testing.T) {
	var out bytes.Buffer
	l := &LiveReporter{W: &out, Order: []string{"start", "measure"}}
	l.Start()
	events(l)
	sp := l.p.steps["measure"]
	if sp.total != 3 || sp.done != 2 || sp.failed != 1 || sp.retried != 1 || sp.running != 0 {
		t.Errorf("measure counts %+v, want 3 total, 2 done, 1 failed, 1 retried, 0 running", *sp)
	}

	l = &LiveReporter{W: &out}
	l.Start()
	measure := &graph.Node{Name: "measure", Step: &flow.Step{Name: "measure"}, ForeachDepth: 1}
	for i := 0; i < 2; i++ {
		j := &Job{Run: "r", Step: measure, ID: string(rune('0' + i))}
		l.TaskQueued(j)
		l.TaskStarted(j)
		l.TaskStopped(j, errors.New("interrupted"))
	}
	l.RunDone("r", &datastore.RunEnd{Status: datastore.StatusFailed, Error: "run interrupted"})
	if sp := l.p.steps["measure"]; sp.running != 0 || sp.stopped != 2 || sp.failed != 0 {
		t.Errorf("after an interruption: %+v, want 0 running, 2 interrupted, 0 failed", *sp)
	}
	if !strings.Contains(out.String(), "measure         0/2   0%  2 interrupted") {
		t.Errorf("final table:\n%s", out.String())
	}
}

func TestETA(t *testing.T) {
	t0 := time.Unix(0, 0)
	sp := &stepProgress{total: 100, done: 25, running: 4, first: t0}
	if got := sp.eta(t0.Add(10 * time.Second)); got != 30*time.Second {
		t.Errorf("ETA after 25 of 100 in 10s = %s, want 30s", got)
	}
	if got := sp.line(t0.Add(10*time.Second), false); !strings.HasPrefix(got, "25/100 25%  4 running") || !strings.Contains(got, "ETA 30s") {
		t.Errorf("line %q", got)
	}
}

var (
	_ RemoteReporter = (*LineReporter)(nil)
	_ RemoteReporter = (*LiveReporter)(nil)
)

// Attempts on AWS Batch are counted by their jobs' status: queued
// (SUBMITTED, PENDING, RUNNABLE), starting and running, in the foreach
// summary, until they end; a task outside any foreach prints each status.
func TestReporterRemoteStatus(t *testing.T) {
	var buf bytes.Buffer
	l := &LineReporter{W: &buf, Every: time.Hour}
	l.Start()
	start := &graph.Node{Name: "start", Step: &flow.Step{Name: "start"}}
	work := &graph.Node{Name: "work", Step: &flow.Step{Name: "work"}, ForeachDepth: 1}
	j0 := &Job{Run: "r", Step: start, ID: "0"}
	l.TaskQueued(j0)
	l.TaskStarted(j0)
	l.TaskRemote(j0, "RUNNABLE")
	l.TaskRemote(j0, "RUNNING")
	var items []*Job
	for i, st := range []string{"SUBMITTED", "RUNNABLE", "STARTING", "RUNNING", "RUNNING"} {
		j := &Job{Run: "r", Step: work, ID: string(rune('0' + i)), Indices: []int{i}}
		items = append(items, j)
		l.TaskQueued(j)
		l.TaskStarted(j)
		l.TaskRemote(j, st)
	}
	l.mu.Lock()
	l.summary()
	l.mu.Unlock()
	l.TaskRemote(items[3], "SUCCEEDED")
	l.TaskDone(items[3], &datastore.Attempt{Status: datastore.StatusSucceeded}, false)
	l.TaskStopped(items[4], errors.New("interrupted"))
	l.mu.Lock()
	l.summary()
	l.mu.Unlock()
	out := buf.String()
	for _, want := range []string{
		"r/start/0: AWS Batch job RUNNABLE\n", "r/start/0: AWS Batch job RUNNING\n",
		"progress: work 0/5 0%  5 running  0s (AWS Batch: 2 queued, 1 starting, 2 running)\n",
		"progress: work 1/5 20%  3 running  1 interrupted  0s (AWS Batch: 2 queued, 1 starting)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if regexp.MustCompile(`r/work/\d+: AWS Batch job`).MatchString(out) {
		t.Errorf("a foreach task's status was printed on its own line:\n%s", out)
	}
}
