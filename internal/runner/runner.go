// Package runner is the local runtime: it runs a whole flow on this machine
// as an action graph with a ready queue and a worker limit, in the manner of
// the go command's builder. Each task runs through the task contract (the
// flow binary's step command) in a child process, or in-process on request.
package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// Options tune a local run.
type Options struct {
	MaxWorkers   int  // tasks running at once; default 16
	MaxNumSplits int  // widest foreach allowed; default 100
	InProcess    bool // run tasks as goroutines instead of child processes
	// Exe is the flow binary started as `Exe step ...` for each task.
	Exe string
	// DatastoreRoot is passed to child processes.
	DatastoreRoot string
	// Env is added to every child's environment.
	Env []string
	// SecretsFile is the JSON file of secret values (run --secrets-file),
	// given to every task; empty: the environment alone.
	SecretsFile string
	// Cache says how the run uses the step cache.
	Cache CacheOptions
}

// Runner runs flows locally.
type Runner struct {
	Flow     *flow.Flow
	Graph    *graph.Graph
	Store    *datastore.Store
	Opts     Options
	Reporter Reporter
	// Exec runs one task attempt; nil selects child processes or the
	// in-process executor according to Opts.InProcess.
	Exec Executor
	// Remote, when set, runs the tasks of some steps elsewhere (AWS Batch:
	// run --with batch, stepflow.OnBatch) and Exec the others.
	Remote *Remote
}

// Executor runs one task attempt and returns its record. A failed attempt is
// a record with Status failed, not an error; errors are infrastructure
// failures (the datastore cannot be reached).
type Executor interface {
	Execute(ctx context.Context, j *Job) (*datastore.Attempt, error)
}

// Job is one task attempt to run.
type Job struct {
	Run     string
	Step    *graph.Node
	Indices []int
	ID      string
	Attempt int
	Inputs  []string
	Caught  string // run the catch path with this failure
	// CacheKey is the task's cache key when its step is cached: a
	// success is stored in the step cache under it.
	CacheKey string
}

// Pathspec returns run/step/task.
func (j *Job) Pathspec() string { return pathspec.Task(j.Run, j.Step.Name, j.ID).String() }

// Resume makes a run reuse the successful tasks of an origin run.
type Resume struct {
	Origin string          // origin run id
	Chain  []string        // the runs the origin resumed, nearest first
	Rerun  map[string]bool // steps that run again even if they succeeded
}

// RunFailedError says which task made a run fail.
type RunFailedError struct {
	Task string
	Err  string
}

func (e *RunFailedError) Error() string {
	return fmt.Sprintf("task %s failed: %s", e.Task, e.Err)
}

// joinState collects the inputs of one join task, in split order.
type joinState struct {
	inputs    []string
	remaining int
}

type sched struct {
	r      *Runner
	run    string
	resume *Resume
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	ready   []*Job
	wake    chan struct{}
	pending int // queued, running or waiting for a retry
	joins   map[string]*joinState
	failure error
	timers  []*time.Timer

	cache cacheState
}

// Run runs the flow for run, whose record already exists, and writes the
// run's end record. It returns a *RunFailedError when a task fails for good.
func (r *Runner) Run(ctx context.Context, run string, resume *Resume) error {
	if r.Opts.MaxWorkers <= 0 {
		r.Opts.MaxWorkers = 16
	}
	if r.Opts.MaxNumSplits <= 0 {
		r.Opts.MaxNumSplits = 100
	}
	if r.Reporter == nil {
		r.Reporter = nopReporter{}
	}
	exec := r.Exec
	if exec == nil {
		child := &childProcess{r: r, definition: r.Flow.Fingerprint()}
		exec = child
		if r.Opts.InProcess {
			exec = &inProcess{r: r, child: child}
		}
	}
	if r.Remote != nil {
		if rep, ok := r.Remote.Exec.(ReportingExecutor); ok {
			rep.Report(r.Reporter)
		}
		exec = &routed{local: exec, remote: r.Remote}
	}
	stopBeat, err := r.heartbeat(ctx, run)
	if err != nil {
		return fmt.Errorf("run %s: %w", run, err)
	}
	defer stopBeat()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &sched{r: r, run: run, resume: resume, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), joins: map[string]*joinState{}}
	s.enqueue(&Job{Run: run, Step: r.Graph.Node(r.Graph.Start), ID: "0"})
	s.loop(exec)

	end := datastore.RunEnd{Status: datastore.StatusSucceeded, End: time.Now().UTC(), Cached: s.cache.hits}
	err = s.failure
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("run interrupted: %w", context.Cause(ctx))
	}
	if err != nil {
		end.Status, end.Error = datastore.StatusFailed, err.Error()
	}
	// The end record is written even when the run was interrupted.
	if perr := r.Store.Runs().PutEnd(context.WithoutCancel(ctx), run, end); perr != nil {
		return errors.Join(err, perr)
	}
	r.Reporter.RunDone(run, &end)
	return err
}

func (s *sched) enqueue(j *Job) {
	s.mu.Lock()
	s.ready = append(s.ready, j)
	s.pending++
	s.r.Reporter.TaskQueued(j)
	s.mu.Unlock()
	s.signal()
}

func (s *sched) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// loop dispatches ready jobs to at most MaxWorkers workers until nothing is
// pending, the run fails, or the context is cancelled.
func (s *sched) loop(exec Executor) {
	sem := make(chan struct{}, s.r.Opts.MaxWorkers)
	var wg sync.WaitGroup
	for {
		s.mu.Lock()
		stop := s.pending == 0 || s.failure != nil || s.ctx.Err() != nil
		var j *Job
		if !stop && len(s.ready) > 0 {
			j = s.ready[0]
			s.ready[0] = nil
			s.ready = s.ready[1:]
		}
		s.mu.Unlock()
		if stop {
			break
		}
		if j == nil {
			select {
			case <-s.wake:
			case <-s.ctx.Done():
			}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-s.ctx.Done():
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.execute(exec, j)
			<-sem
			s.signal()
		}()
	}
	s.mu.Lock()
	for _, t := range s.timers {
		t.Stop()
	}
	s.mu.Unlock()
	wg.Wait()
}

func (s *sched) execute(exec Executor, j *Job) {
	var rec *datastore.Attempt
	var err error
	cloned := false
	if s.resume != nil && !s.resume.Rerun[j.Step.Name] && j.Caught == "" {
		rec, err = s.clone(j)
		cloned = rec != nil
	}
	if !cloned && err == nil {
		rec, err = s.fromCache(j)
		cloned = rec != nil
	}
	started := false
	if !cloned && err == nil {
		s.mu.Lock()
		s.r.Reporter.TaskStarted(j)
		s.mu.Unlock()
		started = true
		rec, err = exec.Execute(s.ctx, j)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending--
	if err != nil {
		if started {
			s.r.Reporter.TaskStopped(j, err)
		}
		if s.failure == nil && s.ctx.Err() == nil {
			s.failure = fmt.Errorf("task %s: %w", j.Pathspec(), err)
		}
		return
	}
	if s.ctx.Err() != nil && rec.Status != datastore.StatusSucceeded && started {
		// Killed by the interruption, not failed on its own.
		s.r.Reporter.TaskStopped(j, fmt.Errorf("interrupted"))
		return
	}
	s.r.Reporter.TaskDone(j, rec, cloned)
	if rec.Status != datastore.StatusSucceeded {
		s.failed(j, rec)
		return
	}
	if err := s.succeeded(j, rec); err != nil && s.failure == nil {
		s.failure = err
	}
}

// failed retries, catches or fails the run after a failed attempt. Called
// with s.mu held.
func (s *sched) failed(j *Job, rec *datastore.Attempt) {
	if s.ctx.Err() != nil {
		return
	}
	o := j.Step.Step.Options
	if r := o.Retry; r != nil && j.Caught == "" && j.Attempt < r.Times {
		next := *j
		next.Attempt++
		s.pending++
		delay := r.DelayFor(next.Attempt)
		s.r.Reporter.Retrying(j, delay)
		s.timers = append(s.timers, time.AfterFunc(delay, func() {
			s.mu.Lock()
			s.ready = append(s.ready, &next)
			s.mu.Unlock()
			s.signal()
		}))
		return
	}
	if o.Catch != "" && j.Caught == "" {
		next := *j
		next.Attempt++
		next.Caught = rec.Error
		if next.Caught == "" {
			next.Caught = fmt.Sprintf("exit status %d", rec.ExitCode)
		}
		s.pending++
		s.ready = append(s.ready, &next)
		return
	}
	if s.failure == nil {
		s.failure = &RunFailedError{Task: j.Pathspec(), Err: rec.Error}
	}
}

// succeeded schedules the successors of a finished task. Called with s.mu
// held.
func (s *sched) succeeded(j *Job, rec *datastore.Attempt) error {
	g := s.r.Graph
	n := j.Step
	from := j.Pathspec()
	switch n.Kind {
	case graph.End:
		return nil
	case graph.Split:
		s.openJoin(n.MatchingJoin, j.Indices, len(n.Out))
		for _, b := range n.Out {
			s.push(g.Node(b), j.Indices, []string{from})
		}
	case graph.Foreach:
		w := rec.ForeachWidth
		if w > s.r.Opts.MaxNumSplits {
			return fmt.Errorf("foreach step %s (task %s) has %d items, more than --max-num-splits %d; raise --max-num-splits or split the work",
				n.Name, from, w, s.r.Opts.MaxNumSplits)
		}
		s.openJoin(n.MatchingJoin, j.Indices, w)
		if w == 0 {
			s.closeJoin(g.Node(n.MatchingJoin), j.Indices)
		}
		for i := 0; i < w; i++ {
			s.push(g.Node(n.Out[0]), append(slices.Clone(j.Indices), i), []string{from})
		}
	case graph.Switch:
		s.deliver(g.Node(rec.SwitchTarget), n, j.Indices, from)
	default:
		s.deliver(g.Node(n.Out[0]), n, j.Indices, from)
	}
	return nil
}

func joinKey(join string, indices []int) string { return join + "/" + pathspec.TaskID(indices) }

func (s *sched) openJoin(join string, indices []int, width int) {
	s.joins[joinKey(join, indices)] = &joinState{inputs: make([]string, width), remaining: width}
}

func (s *sched) closeJoin(join *graph.Node, indices []int) {
	k := joinKey(join.Name, indices)
	js := s.joins[k]
	delete(s.joins, k)
	s.push(join, indices, js.inputs)
}

// deliver hands a finished task's pathspec to its successor: a join
// collects it in its slot; any other step is queued.
func (s *sched) deliver(to, from *graph.Node, indices []int, ps string) {
	if to.Kind != graph.Join {
		s.push(to, indices, []string{ps})
		return
	}
	split := s.r.Graph.Node(to.Split())
	var slot int
	joinIdx := indices
	if split.Kind == graph.Foreach {
		joinIdx = indices[:len(indices)-1]
		slot = indices[len(indices)-1]
	} else {
		k := len(to.SplitParents) - 1
		slot = slices.Index(split.Out, from.SplitBranches[k])
	}
	js := s.joins[joinKey(to.Name, joinIdx)]
	js.inputs[slot] = ps
	js.remaining--
	if js.remaining == 0 {
		s.closeJoin(to, joinIdx)
	}
}

// push queues a task. Called with s.mu held.
func (s *sched) push(n *graph.Node, indices []int, inputs []string) {
	j := &Job{Run: s.run, Step: n, Indices: indices, ID: pathspec.TaskID(indices), Inputs: inputs}
	s.ready = append(s.ready, j)
	s.pending++
	s.r.Reporter.TaskQueued(j)
}
