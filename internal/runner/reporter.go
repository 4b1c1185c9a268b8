package runner

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// Reporter receives a run's progress. Calls may come from many goroutines;
// TaskDone and Retrying are called with the scheduler's lock held and must
// not block for long.
type Reporter interface {
	TaskStarted(j *Job)
	TaskDone(j *Job, rec *datastore.Attempt, cloned bool)
	Retrying(j *Job, delay time.Duration)
	Output(j *Job, stream string, line []byte)
	RunDone(run string, end *datastore.RunEnd)
}

type nopReporter struct{}

func (nopReporter) TaskStarted(*Job)                        {}
func (nopReporter) TaskDone(*Job, *datastore.Attempt, bool) {}
func (nopReporter) Retrying(*Job, time.Duration)            {}
func (nopReporter) Output(*Job, string, []byte)             {}
func (nopReporter) RunDone(string, *datastore.RunEnd)       {}

// LineReporter writes one line per task event, and the tasks' output
// prefixed with their pathspec. It suits logs and pipes.
type LineReporter struct {
	mu    sync.Mutex
	W     io.Writer
	Quiet bool // drop the tasks' output
}

func (l *LineReporter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.W, format, args...)
}

// TaskStarted reports a task attempt's start.
func (l *LineReporter) TaskStarted(j *Job) {
	if j.Caught != "" {
		l.printf("%s: recording the failure in %s (catch)\n", j.Pathspec(), j.Step.Step.Options.Catch)
		return
	}
	if j.Attempt > 0 {
		l.printf("%s: started (attempt %d)\n", j.Pathspec(), j.Attempt)
		return
	}
	l.printf("%s: started\n", j.Pathspec())
}

// TaskDone reports a finished attempt.
func (l *LineReporter) TaskDone(j *Job, rec *datastore.Attempt, cloned bool) {
	switch {
	case cloned:
		l.printf("%s: reused %s\n", j.Pathspec(), rec.Origin)
	case rec.Status == datastore.StatusSucceeded:
		l.printf("%s: succeeded in %s\n", j.Pathspec(), rec.End.Sub(rec.Start).Round(time.Millisecond))
	default:
		l.printf("%s: failed (attempt %d): %s\n", j.Pathspec(), j.Attempt, firstLine(rec.Error))
	}
}

// Retrying reports a retry to come.
func (l *LineReporter) Retrying(j *Job, delay time.Duration) {
	l.printf("%s: retrying in %s\n", j.Pathspec(), delay)
}

// Output passes a line of a task's output through, prefixed.
func (l *LineReporter) Output(j *Job, stream string, line []byte) {
	if l.Quiet {
		return
	}
	l.printf("%s [%s] %s", j.Pathspec(), stream, line)
}

// RunDone reports the end of the run.
func (l *LineReporter) RunDone(run string, end *datastore.RunEnd) {
	if end.Status == datastore.StatusSucceeded {
		l.printf("run %s succeeded\n", run)
	} else {
		l.printf("run %s failed: %s\n", run, firstLine(end.Error))
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// LiveReporter redraws a per-step summary on a terminal: tasks done,
// running and failed, and the elapsed time. Task output and failures are
// printed above the summary.
type LiveReporter struct {
	W     io.Writer
	Order []string // steps in display order

	mu      sync.Mutex
	start   time.Time
	steps   map[string]*stepProgress
	drawn   int // lines of the last summary
	stop    chan struct{}
	stopped chan struct{}
}

type stepProgress struct {
	running, done, failed, reused int
	first, last                   time.Time
}

// Start begins redrawing every 100ms.
func (l *LiveReporter) Start() {
	l.start = time.Now()
	l.steps = map[string]*stepProgress{}
	l.stop, l.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(l.stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.mu.Lock()
				l.redraw()
				l.mu.Unlock()
			case <-l.stop:
				return
			}
		}
	}()
}

func (l *LiveReporter) step(name string) *stepProgress {
	sp := l.steps[name]
	if sp == nil {
		sp = &stepProgress{first: time.Now()}
		l.steps[name] = sp
	}
	return sp
}

// TaskStarted counts a running task.
func (l *LiveReporter) TaskStarted(j *Job) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.step(j.Step.Name).running++
}

// TaskDone counts a finished task and prints failures.
func (l *LiveReporter) TaskDone(j *Job, rec *datastore.Attempt, cloned bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sp := l.step(j.Step.Name)
	sp.last = time.Now()
	switch {
	case cloned:
		sp.reused++
		return
	case rec.Status == datastore.StatusSucceeded:
		sp.done++
	default:
		sp.failed++
		l.above(fmt.Sprintf("%s: failed (attempt %d): %s\n", j.Pathspec(), j.Attempt, firstLine(rec.Error)))
	}
	sp.running--
}

// Retrying prints the retry above the summary.
func (l *LiveReporter) Retrying(j *Job, delay time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.above(fmt.Sprintf("%s: retrying in %s\n", j.Pathspec(), delay))
}

// Output prints a task's output line above the summary.
func (l *LiveReporter) Output(j *Job, stream string, line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.above(fmt.Sprintf("%s [%s] %s", j.Pathspec(), stream, line))
}

// RunDone stops redrawing and prints the final summary.
func (l *LiveReporter) RunDone(run string, end *datastore.RunEnd) {
	close(l.stop)
	<-l.stopped
	l.mu.Lock()
	defer l.mu.Unlock()
	l.redraw()
	l.drawn = 0
	if end.Status == datastore.StatusSucceeded {
		fmt.Fprintf(l.W, "run %s succeeded in %s\n", run, time.Since(l.start).Round(time.Millisecond))
	} else {
		fmt.Fprintf(l.W, "run %s failed: %s\n", run, firstLine(end.Error))
	}
}

// above prints text above the summary. Called with l.mu held.
func (l *LiveReporter) above(text string) {
	l.clear()
	io.WriteString(l.W, text)
	l.redraw()
}

func (l *LiveReporter) clear() {
	for i := 0; i < l.drawn; i++ {
		io.WriteString(l.W, "\x1b[1A\x1b[2K")
	}
	l.drawn = 0
}

func (l *LiveReporter) redraw() {
	l.clear()
	names := make([]string, 0, len(l.steps))
	for _, n := range l.Order {
		if l.steps[n] != nil {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		for n := range l.steps {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	width := 4
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		sp := l.steps[n]
		end := time.Now()
		if sp.running == 0 && !sp.last.IsZero() {
			end = sp.last
		}
		state := "running"
		if sp.running == 0 {
			state = "done"
		}
		if sp.failed > 0 {
			state += fmt.Sprintf(", %d failed", sp.failed)
		}
		line := fmt.Sprintf("  %-*s  %5d done  %4d running", width, n, sp.done, sp.running)
		if sp.reused > 0 {
			line += fmt.Sprintf("  %d reused", sp.reused)
		}
		fmt.Fprintf(l.W, "%s  %-8s %s\n", line, end.Sub(sp.first).Round(100*time.Millisecond), state)
		l.drawn++
	}
}
