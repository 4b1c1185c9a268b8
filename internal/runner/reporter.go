package runner

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// Reporter receives a run's progress. Calls may come from many goroutines;
// all but Output are called with the scheduler's lock held and must not
// block for long.
type Reporter interface {
	// TaskQueued: a task will run (once, however many attempts it takes).
	TaskQueued(j *Job)
	TaskStarted(j *Job)
	TaskDone(j *Job, rec *datastore.Attempt, cloned bool)
	// Retrying: the failed attempt j will be tried again after delay.
	Retrying(j *Job, delay time.Duration)
	// TaskStopped: an attempt ended without a result of its own, because
	// the run was interrupted (or the runtime failed to run it).
	TaskStopped(j *Job, err error)
	Output(j *Job, stream string, line []byte)
	RunDone(run string, end *datastore.RunEnd)
}

type nopReporter struct{}

func (nopReporter) TaskQueued(*Job)                         {}
func (nopReporter) TaskStarted(*Job)                        {}
func (nopReporter) TaskDone(*Job, *datastore.Attempt, bool) {}
func (nopReporter) Retrying(*Job, time.Duration)            {}
func (nopReporter) TaskStopped(*Job, error)                 {}
func (nopReporter) Output(*Job, string, []byte)             {}
func (nopReporter) RunDone(string, *datastore.RunEnd)       {}

// DefaultSummaryEvery is how often a LineReporter summarizes the progress
// of foreach steps.
const DefaultSummaryEvery = 5 * time.Second

// LineReporter writes the run's events as lines, for logs and pipes: a
// line per event of a task outside any foreach, and for the tasks of
// foreaches, which can be many, a one-line summary of their progress every
// few seconds and when their step is done. Failures, retries and the tasks'
// output (prefixed with their pathspec) are always printed; with Quiet,
// only failures and the final result are.
type LineReporter struct {
	W     io.Writer
	Quiet bool
	Order []string      // steps in display order
	Every time.Duration // period of the foreach summary; 0 means DefaultSummaryEvery

	mu       sync.Mutex
	p        *progress
	complete map[string]bool // foreach steps whose completion was printed
	changed  bool            // since the last summary
	stop     chan struct{}
	stopped  chan struct{}
}

func (l *LineReporter) init() {
	if l.p == nil {
		l.p = newProgress(l.Order, nil)
		l.complete = map[string]bool{}
	}
}

// Start begins the periodic summary of foreach steps.
func (l *LineReporter) Start() {
	l.mu.Lock()
	l.init()
	l.stop, l.stopped = make(chan struct{}), make(chan struct{})
	l.mu.Unlock()
	every := l.Every
	if every <= 0 {
		every = DefaultSummaryEvery
	}
	go func() {
		defer close(l.stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.mu.Lock()
				l.summary()
				l.mu.Unlock()
			case <-l.stop:
				return
			}
		}
	}()
}

func (l *LineReporter) printf(format string, args ...any) {
	fmt.Fprintf(l.W, format, args...)
}

// inForeach reports whether j's step runs once per foreach item.
func inForeach(j *Job) bool { return j.Step.ForeachDepth > 0 }

// TaskQueued counts a task.
func (l *LineReporter) TaskQueued(j *Job) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.init()
	l.p.queued(j)
	l.changed = true
}

// TaskStarted reports a task attempt's start.
func (l *LineReporter) TaskStarted(j *Job) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.init()
	l.p.started(j)
	l.changed = true
	switch {
	case l.Quiet:
	case j.Caught != "":
		l.printf("%s: recording the failure in %s (catch)\n", j.Pathspec(), j.Step.Step.Options.Catch)
	case inForeach(j):
	case j.Attempt > 0:
		l.printf("%s: started (attempt %d)\n", j.Pathspec(), j.Attempt)
	default:
		l.printf("%s: started\n", j.Pathspec())
	}
}

// TaskDone reports a finished attempt.
func (l *LineReporter) TaskDone(j *Job, rec *datastore.Attempt, cloned bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.init()
	ok := rec.Status == datastore.StatusSucceeded
	l.p.finished(j, ok, cloned, rec.CachedFrom != "")
	l.changed = true
	switch {
	case !ok:
		l.printf("%s: failed (attempt %d): %s\n", j.Pathspec(), j.Attempt, firstLine(rec.Error))
	case l.Quiet || inForeach(j):
	case rec.CachedFrom != "":
		l.printf("%s: cached, from %s\n", j.Pathspec(), rec.CachedFrom)
	case cloned:
		l.printf("%s: reused %s\n", j.Pathspec(), rec.Origin)
	default:
		l.printf("%s: succeeded in %s\n", j.Pathspec(), rec.End.Sub(rec.Start).Round(time.Millisecond))
	}
}

// Retrying reports a retry to come.
func (l *LineReporter) Retrying(j *Job, delay time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.init()
	l.p.retrying(j)
	l.printf("%s: retrying in %s\n", j.Pathspec(), delay)
}

// TaskStopped reports an attempt that ended with the run.
func (l *LineReporter) TaskStopped(j *Job, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.init()
	l.p.stoppedTask(j)
	l.printf("%s: stopped: %v\n", j.Pathspec(), err)
}

// TaskRemote counts an attempt's status elsewhere (an AWS Batch job's),
// and prints it for a task outside any foreach.
func (l *LineReporter) TaskRemote(j *Job, status string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.init()
	l.p.remoteStatus(j, status)
	l.changed = true
	if !l.Quiet && !inForeach(j) {
		l.printf("%s: AWS Batch job %s\n", j.Pathspec(), status)
	}
}

// Output passes a line of a task's output through, prefixed.
func (l *LineReporter) Output(j *Job, stream string, line []byte) {
	if l.Quiet {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.printf("%s [%s] %s", j.Pathspec(), stream, line)
}

// summary prints one line on the foreach steps still going, and one line
// for each that finished since. Called with l.mu held.
func (l *LineReporter) summary() {
	if l.Quiet || !l.changed || l.p == nil {
		return
	}
	l.changed = false
	now := l.p.now()
	var going []string
	for _, n := range l.p.names() {
		sp := l.p.steps[n]
		if l.complete[n] || !l.foreachStep(n) {
			continue
		}
		if sp.running == 0 && sp.done+sp.failed+sp.stopped >= sp.total {
			l.complete[n] = true
			l.printf("%s: %s\n", n, sp.line(now, false))
			continue
		}
		going = append(going, n+" "+sp.line(now, false)+l.p.remoteLine(n))
	}
	if len(going) > 0 {
		l.printf("progress: %s\n", strings.Join(going, "; "))
	}
}

// foreachSteps are the steps whose tasks run per foreach item.
func (l *LineReporter) foreachStep(name string) bool { return l.p.foreach[name] }

// RunDone reports the end of the run.
func (l *LineReporter) RunDone(run string, end *datastore.RunEnd) {
	if l.stop != nil {
		close(l.stop)
		<-l.stopped
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.init()
	l.summary()
	if !l.Quiet {
		// The final count of every foreach step not reported complete.
		now := l.p.now()
		for _, n := range l.p.names() {
			if l.foreachStep(n) && !l.complete[n] {
				l.printf("%s: %s\n", n, l.p.steps[n].line(now, false))
			}
		}
	}
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

// LiveReporter redraws a per-step table on a terminal: tasks done out of
// those known, the percentage, tasks running (and of those on AWS Batch,
// how many are queued, starting and running), failed (for good: a task that
// succeeded on a retry is not), interrupted, retried and reused, the time
// spent and an estimate of the time left. Task output and failures are
// printed above the table.
type LiveReporter struct {
	W     io.Writer
	Order []string // steps in display order

	mu      sync.Mutex
	start   time.Time
	p       *progress
	drawn   int // lines of the last table
	stop    chan struct{}
	stopped chan struct{}
}

// Start begins redrawing every 100ms.
func (l *LiveReporter) Start() {
	l.start = time.Now()
	l.p = newProgress(l.Order, nil)
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

// TaskQueued counts a task.
func (l *LiveReporter) TaskQueued(j *Job) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.queued(j)
}

// TaskStarted counts a running task.
func (l *LiveReporter) TaskStarted(j *Job) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.started(j)
}

// TaskDone counts a finished task and prints failures.
func (l *LiveReporter) TaskDone(j *Job, rec *datastore.Attempt, cloned bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ok := rec.Status == datastore.StatusSucceeded
	l.p.finished(j, ok, cloned, rec.CachedFrom != "")
	if !ok {
		l.above(fmt.Sprintf("%s: failed (attempt %d): %s\n", j.Pathspec(), j.Attempt, firstLine(rec.Error)))
	}
}

// Retrying prints the retry above the table.
func (l *LiveReporter) Retrying(j *Job, delay time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.retrying(j)
	l.above(fmt.Sprintf("%s: retrying in %s\n", j.Pathspec(), delay))
}

// TaskStopped counts an attempt that ended with the run.
func (l *LiveReporter) TaskStopped(j *Job, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.stoppedTask(j)
}

// TaskRemote counts an attempt's status elsewhere (an AWS Batch job's).
func (l *LiveReporter) TaskRemote(j *Job, status string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.remoteStatus(j, status)
}

// Output prints a task's output line above the table.
func (l *LiveReporter) Output(j *Job, stream string, line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.above(fmt.Sprintf("%s [%s] %s", j.Pathspec(), stream, line))
}

// RunDone stops redrawing and prints the final table.
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

// above prints text above the table. Called with l.mu held.
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
	names := l.p.names()
	width := 4
	for _, n := range names {
		width = max(width, len(n))
	}
	now := l.p.now()
	for _, n := range names {
		fmt.Fprintf(l.W, "  %-*s %s%s\n", width, n, l.p.steps[n].line(now, true), l.p.remoteLine(n))
		l.drawn++
	}
}
