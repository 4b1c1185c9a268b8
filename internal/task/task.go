// Package task runs exactly one attempt of one task: it loads the parents'
// states from the datastore, runs the step's function, saves the artifacts
// and writes the attempt record. It is the task contract of
// docs/task-contract.md; the local runtime and the AWS Batch container both
// go through it.
package task

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/usage"
)

// Spec identifies one task attempt and its inputs.
type Spec struct {
	RunID   string
	Step    string
	TaskID  string   // derived from Indices when empty
	Indices []int    // foreach index stack, outermost first
	Attempt int      // 0 for the first try
	Inputs  []string // parent pathspecs run/step/task; derived when nil
	// Params creates the run record when it is missing (a cloud run's
	// start step): parameter name to formatted value.
	Params map[string]string
	// Configs go into the run record created with Params: config name to
	// blob hash of the value frozen into the deployment
	// (STEPFLOW_CONFIGS). Every config of the flow must be there.
	Configs map[string]string
	// Trigger goes into the run record created with Params: what started
	// the run (STEPFLOW_TRIGGER).
	Trigger map[string]string
	// Tags go into the run record created with Params, after the flow's
	// own tags (a cloud run: production:<token>).
	Tags []string
	// Caught, when not empty, skips the user code and records this failure
	// in the step's catch field.
	Caught string
	// CaughtIsName says Caught is only an error name (a cloud run's
	// STEPFLOW_CAUGHT, e.g. States.TaskFailed): the message of the task's
	// latest failed attempt in the datastore is recorded instead, when
	// there is one, and the catch attempt is numbered after it.
	CaughtIsName bool
	// Env is extra information recorded with the attempt (AWS Batch job id).
	Env map[string]string
	// CacheKey, when set, is the task's cache key: a succeeded attempt
	// (not a catch) records it and is stored in the step cache under it.
	CacheKey string
}

// Executor runs task attempts of one flow against one datastore.
type Executor struct {
	Flow  *flow.Flow
	Graph *graph.Graph
	Store *datastore.Store
	Out   io.Writer // receives Context.Printf output; nil means os.Stdout
	Now   func() time.Time
	// Bookkeeper, when set, is told about every successful attempt of a
	// foreach or switch step, after its record is written (a cloud run's
	// DynamoDB item, docs/state-machine.md). Its error fails Run.
	Bookkeeper Bookkeeper
	// ForeachLimit, when > 0, is the most items a foreach task may have:
	// a nested foreach of a Step Functions run, compiled to one INLINE Map
	// of at most 1,000 items (STEPFLOW_FOREACH_LIMIT). A wider one fails
	// with a message naming the step, its width and the fix, rather than
	// an intrinsic failure deep in the execution.
	ForeachLimit int
	// Parents, when set, shares the loading of a foreach task's state
	// between its children (an executor running many tasks in one process).
	Parents *ParentCache
	// Secrets fetches the values of a step's secrets when its task starts;
	// nil: LocalSecrets from the process's environment.
	Secrets SecretSource
	// CacheItems says a cloud foreach task writes the digest of each
	// item's inputs (taskcontract.EnvCacheItems): the state machine looks
	// its body's first step up in the step cache item by item.
	CacheItems bool
}

// Bookkeeper records what the orchestrator needs to know to go on after a
// foreach step (rec.ForeachWidth) or a switch step (rec.SwitchTarget).
type Bookkeeper interface {
	Transition(ctx context.Context, kind flow.TransitionKind, rec *datastore.Attempt) error
}

func badInput(format string, args ...any) error { return usage.Errorf(format, args...) }

// now is the time of the records a task writes, in UTC: a time in
// time.Local would make every task process load the zone database
// (/etc/localtime, a file read and a parse) to write its record, and
// `show`, `runs` and the UI convert to local time when they print.
func (e *Executor) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now().UTC()
}

// Run executes one attempt and writes its record. A failure of the user
// code is not an error: it is a record with Status "failed". Errors are bad
// input (usage.Error: a task spec that cannot run, such as an unknown
// step, a wrong task id or missing inputs) or a datastore that cannot be read or written.
func (e *Executor) Run(ctx context.Context, spec Spec) (*datastore.Attempt, error) {
	node := e.Graph.Node(spec.Step)
	if node == nil {
		return nil, badInput("step %q does not exist in flow %s; steps: %v", spec.Step, e.Flow.Name, e.Graph.Order)
	}
	if len(spec.Indices) != node.ForeachDepth {
		if spec.Indices == nil && spec.TaskID != "" {
			idx, err := pathspec.Indices(spec.TaskID, node.ForeachDepth)
			if err != nil {
				return nil, usage.Wrap(err)
			}
			spec.Indices = idx
		} else {
			return nil, badInput("step %s runs inside %d foreach(es), so it needs %d indices; got %v",
				spec.Step, node.ForeachDepth, node.ForeachDepth, spec.Indices)
		}
	}
	id := pathspec.TaskID(spec.Indices)
	if spec.TaskID != "" && spec.TaskID != id {
		return nil, badInput("task id %q does not match the indices %v (expected %q)", spec.TaskID, spec.Indices, id)
	}
	spec.TaskID = id
	if spec.Attempt < 0 {
		return nil, badInput("attempt %d is negative", spec.Attempt)
	}
	if err := e.checkRunValues(spec); err != nil {
		return nil, err
	}
	if spec.Caught != "" && spec.CaughtIsName {
		if err := e.ResolveCaught(ctx, &spec); err != nil {
			return nil, err
		}
	} else if err := e.NumberAttempt(ctx, &spec); err != nil {
		return nil, err
	}

	rec := &datastore.Attempt{
		Run: spec.RunID, Step: spec.Step, Task: spec.TaskID, Attempt: spec.Attempt,
		Indices: spec.Indices, Start: e.now(), Env: spec.Env,
	}
	if spec.Caught == "" {
		rec.CacheKey = spec.CacheKey // a catch is never cached
	}
	l := &loader{attempts: e.Store.Attempts(), blobs: e.Store.Blobs(), flow: e.Flow, hit: e.cachedInput}
	st, err := e.prepare(ctx, l, node, &spec, rec)
	if err != nil {
		return nil, err
	}

	var runErr error
	live := &cardRefresher{ctx: ctx, attempts: e.Store.Attempts(), run: spec.RunID, step: spec.Step, task: spec.TaskID,
		attempt: spec.Attempt, now: e.now}
	if spec.Caught != "" {
		runErr = e.catch(node, st, spec)
	} else {
		var c *flow.Context
		c, runErr = e.call(ctx, node, st, spec, live)
		// The step's scratch directory goes when the task ends, once the
		// files in it that it handed to File.SetPath are stored.
		st.scratch = c
		defer c.RemoveScratch()
		if err := e.saveCard(ctx, c.Card(), rec); err != nil {
			if errors.Is(err, context.Canceled) && runErr == nil {
				return nil, err
			}
			runErr = cmp.Or(runErr, err)
		}
		if runErr == nil && node.Kind == graph.Join {
			runErr = e.checkJoin(node, st)
		}
	}
	if runErr == nil {
		runErr = e.transition(node, st.state, rec)
	}
	if runErr == nil {
		runErr = e.save(ctx, l, st, rec)
		if errors.Is(runErr, context.Canceled) {
			return nil, runErr
		}
	}
	rec.End = e.now()
	if runErr != nil {
		rec.Status = datastore.StatusFailed
		rec.ExitCode = 1
		rec.Error = runErr.Error()
		rec.Artifacts = nil
	} else {
		rec.Status = datastore.StatusSucceeded
	}
	// An interrupted step is recorded all the same: that is the point of
	// cancelling it rather than killing the process.
	if err := e.Store.Attempts().Put(context.WithoutCancel(ctx), *rec); err != nil {
		return nil, fmt.Errorf("task %s: %w", pathspec.Task(spec.RunID, spec.Step, spec.TaskID), err)
	}
	if err := e.storeInCache(context.WithoutCancel(ctx), spec, rec); err != nil {
		return rec, fmt.Errorf("task %s: %w", pathspec.Task(spec.RunID, spec.Step, spec.TaskID), err)
	}
	if err := e.cloudCache(context.WithoutCancel(ctx), node, spec, rec); err != nil {
		return rec, fmt.Errorf("task %s: %w", pathspec.Task(spec.RunID, spec.Step, spec.TaskID), err)
	}
	// The record holds the final card: the live one has served. A live
	// card left by a failure here is only shown while the attempt has no
	// record, so it is reported, not fatal.
	if err := live.remove(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(os.Stderr, "stepflow: %v\n", err)
	}
	if k := node.Step.Transition.Kind; e.Bookkeeper != nil && rec.Status == datastore.StatusSucceeded && (k == flow.Foreach || k == flow.Switch) {
		if err := e.Bookkeeper.Transition(ctx, k, rec); err != nil {
			return rec, fmt.Errorf("task %s: %w", pathspec.Task(spec.RunID, spec.Step, spec.TaskID), err)
		}
	}
	return rec, nil
}

// EndRun writes the run's end record (succeeded) when rec is a successful
// attempt of the end step, and does nothing otherwise. The local runtime
// records the end of its runs itself; a cloud run has nothing watching it,
// so its end task calls this after its attempt record (and logs) are
// written. A run that fails in the cloud gets no end record: the
// execution's status is the authority (docs/state-machine.md).
func (e *Executor) EndRun(ctx context.Context, rec *datastore.Attempt) error {
	if rec == nil || rec.Status != datastore.StatusSucceeded || rec.Step != e.Graph.End {
		return nil
	}
	end := rec.End
	if end.IsZero() {
		end = e.now()
	}
	if err := e.Store.Runs().PutEnd(ctx, rec.Run, datastore.RunEnd{Status: datastore.StatusSucceeded, End: end.UTC()}); err != nil {
		return fmt.Errorf("run %s: record its end: %w", rec.Run, err)
	}
	return nil
}

// NumberAttempt numbers the attempt after the task's latest recorded one
// when that one is numbered spec.Attempt or higher: max(given, latest + 1).
// The orchestrator's number ($$.State.RetryCount in a state machine) is
// not to be trusted after a redrive, which may pass 0 again, or a number
// below a failed attempt's. So no record is ever overwritten, and the
// latest attempt, the one the next steps read, is always the newest.
func (e *Executor) NumberAttempt(ctx context.Context, spec *Spec) error {
	_, err := e.latest(ctx, spec)
	return err
}

// latest renumbers spec.Attempt as NumberAttempt does and returns the
// task's latest recorded attempt (nil: none).
func (e *Executor) latest(ctx context.Context, spec *Spec) (*datastore.Attempt, error) {
	a, err := e.Store.Attempts().Latest(ctx, spec.RunID, spec.Step, spec.TaskID)
	if datastore.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("task %s: number the attempt: %w", pathspec.Task(spec.RunID, spec.Step, spec.TaskID), err)
	}
	if a.Attempt >= spec.Attempt {
		spec.Attempt = a.Attempt + 1
	}
	return &a, nil
}

// ResolveCaught replaces an error name in spec.Caught with the message of
// the task's latest attempt when that attempt failed, and numbers the catch
// attempt after it (NumberAttempt).
func (e *Executor) ResolveCaught(ctx context.Context, spec *Spec) error {
	a, err := e.latest(ctx, spec)
	if err != nil {
		return fmt.Errorf("read the failure to catch: %w", err)
	}
	if a != nil && a.Status == datastore.StatusFailed && a.Error != "" {
		spec.Caught = a.Error
	}
	return nil
}

// call runs the user function, turning panics and timeouts into errors. It
// returns the step's Context: the card it filled, its scratch directory.
func (e *Executor) call(ctx context.Context, node *graph.Node, st *taskState, spec Spec, live *cardRefresher) (*flow.Context, error) {
	if timeout := node.Step.Options.Timeout; timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	info := flow.TaskInfo{
		Flow: e.Flow.Name, RunID: spec.RunID, Step: spec.Step, TaskID: spec.TaskID,
		Attempt: spec.Attempt, Indices: spec.Indices, Item: st.item, HasItem: st.hasItem,
	}
	c := flow.NewContext(ctx, info, e.Out)
	if err := e.fetchSecrets(ctx, node.Step, c); err != nil {
		return c, err
	}
	live.ctx = ctx
	c.SetCardRefresh(live.save)
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		done <- node.Step.Func(c, st.state.Interface(), st.inputs)
	}()
	select {
	case err := <-done:
		if err != nil {
			return c, fmt.Errorf("step %s: %w", spec.Step, err)
		}
		return c, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return c, fmt.Errorf("step %s timed out after %s", spec.Step, node.Step.Options.Timeout)
		}
		return c, fmt.Errorf("step %s was interrupted: %w", spec.Step, ctx.Err())
	}
}

// catch records a failure in the step's catch field instead of running it.
func (e *Executor) catch(node *graph.Node, st *taskState, spec Spec) error {
	field := node.Step.Options.Catch
	if field == "" {
		return fmt.Errorf("step %s has no Catch option, so a failure cannot be caught", spec.Step)
	}
	fv := st.state.Elem().FieldByName(field)
	// A Failure field: stepflow.Failure has flow.Failure's fields.
	switch v := reflect.ValueOf(flow.Failure{Step: spec.Step, Error: spec.Caught, Attempts: spec.Attempt}); {
	case fv.Kind() == reflect.Struct && v.Type().ConvertibleTo(fv.Type()):
		fv.Set(v.Convert(fv.Type()))
	default:
		fv.SetString(spec.Caught)
	}
	return nil
}

// transition records the foreach width or the chosen switch target.
func (e *Executor) transition(node *graph.Node, state reflect.Value, rec *datastore.Attempt) error {
	t := node.Step.Transition
	switch t.Kind {
	case flow.Foreach:
		rec.ForeachWidth = state.Elem().FieldByName(t.Field).Len()
		if lim := e.ForeachLimit; lim > 0 && rec.ForeachWidth > lim {
			return fmt.Errorf("step %s: foreach over %s has %d items, more than the %d a nested foreach can have on Step Functions (it runs as one INLINE Map, whose index list States.ArrayRange holds at most %d items); make the outer foreach wider and this one narrower (e.g. split %s into chunks of at most %d over an extra foreach level), or deploy with step-functions create --distributed-map (every foreach chunked, up to 1,000 x chunk items)",
				node.Name, t.Field, rec.ForeachWidth, lim, lim, t.Field, lim)
		}
	case flow.Switch:
		v := fmt.Sprint(state.Elem().FieldByName(t.Field).Interface())
		for _, c := range t.Cases {
			if c.Value == v {
				rec.SwitchTarget = c.Target
				return nil
			}
		}
		var vals []string
		for _, c := range t.Cases {
			vals = append(vals, c.Value)
		}
		return fmt.Errorf("step %s: switch on %s: value %q matches no case (cases: %v); set %s to one of them or add a case",
			node.Name, t.Field, v, vals, t.Field)
	}
	return nil
}

// checkRunValues checks the parameters and config hashes a start task
// gets to create its run record (step --params, --configs): every name is
// one of the flow's and every value is valid, so that a typo is bad input
// before anything runs, not a run that fails later or ignores it.
func (e *Executor) checkRunValues(spec Spec) error {
	for _, name := range slices.Sorted(maps.Keys(spec.Params)) {
		i := slices.IndexFunc(e.Flow.Params, func(p *flow.Param) bool { return p.Name == name })
		if i < 0 {
			return badInput("--params names %q, which is not a parameter of flow %s; its parameters: %s", name, e.Flow.Name, paramNames(e.Flow))
		}
		if _, err := e.Flow.Params[i].Parse(spec.Params[name]); err != nil {
			return usage.Wrap(err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Configs)) {
		if !slices.ContainsFunc(e.Flow.Configs, func(c *flow.Config) bool { return c.Name == name }) {
			return badInput("--configs names %q, which is not a config of flow %s", name, e.Flow.Name)
		}
		if h := spec.Configs[name]; len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
			return badInput("--configs: config %s has hash %q; want the 64 lowercase hex digits of a blob's SHA-256", name, h)
		}
	}
	return nil
}

func paramNames(f *flow.Flow) string {
	var names []string
	for _, p := range f.Params {
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
