// Package stepflowtest runs a flow from a Go test and gives typed access to
// the state of every task.
//
// Run executes the whole flow in the test's process, with a fresh local
// datastore in t.TempDir(), the way the flow binary's run command does
// (same scheduler, task runner, retries, catches, timeouts and artifact
// encoding), then decodes every successful task's artifacts into a fresh
// *T:
//
//	func TestTrainFlow(t *testing.T) {
//		res := stepflowtest.Run(t, newTrainFlow(), stepflowtest.Params{"alpha": "0.5"})
//		if got := res.End().Best; got != "b" {
//			t.Errorf("Best = %q, want b", got)
//		}
//		if got := res.Task("train", 2).Score; got < 0.9 {
//			t.Errorf("the third shard scored %g", got)
//		}
//	}
//
// To test a flow declared in package main, declare it in a function that
// both main and the test call:
//
//	func newTrainFlow() *stepflow.Flow[TrainFlow] { return stepflow.New[TrainFlow]("TrainFlow")... }
//
//	func main() { stepflow.Main(newTrainFlow()) }
//
// A run that fails stops the test with each failed step's error and the
// tail of its output; RunFailing expects a failure instead.
//
// CheckJoins finds every artifact a join leaves neither set nor dropped, in
// one go, even when the run's foreaches have one item each. Context makes
// the *stepflow.Context for calling one step directly, with a foreach item,
// an index and an attempt number.
//
// Tasks run as goroutines of the test process, not in child processes.
// A step's Env option is applied to the process environment while the
// step runs; to keep tasks from seeing each other's variables, a flow with
// Env options runs one task at a time, and, like testing.T.Setenv, it
// cannot run in a parallel test. A task that calls os.Exit ends the test
// binary.
package stepflowtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/runner"
	"github.com/stepflow/stepflow/internal/task"
)

// RunID is the id of every test run; each has a datastore of its own.
const RunID = "test"

// logTail is how many lines of a failed task's output a failing test shows.
const logTail = 20

// Option is a setting of Run: Params, Configs, Secrets or MaxWorkers.
type Option interface {
	apply(*settings)
}

type settings struct {
	params     map[string]any
	configs    map[string]string
	maxWorkers int
	secrets    map[string]string // nil: from the environment
}

// Params gives the run's parameters by name, as declared with Flow.Param.
// A string value is parsed as the run command parses a flag ("0.5", "90s",
// `{"a":2}`); any other value must have the parameter's type. Parameters
// not given take their default; a required one must be given. A file
// parameter (Flow.FileParam) takes a local path, whose file is stored as
// the run command stores it.
type Params map[string]any

func (p Params) apply(s *settings) {
	for k, v := range p {
		s.params[k] = v
	}
}

// Configs gives the files of the run's configs by name, like the run
// command's --config NAME=FILE. A config not given is read from the path
// declared with Flow.Config, relative to the test's working directory
// (the directory of the package under test).
type Configs map[string]string

func (c Configs) apply(s *settings) {
	for k, v := range c {
		s.configs[k] = v
	}
}

// MaxWorkers limits how many tasks run at once (default 16, like the run
// command; a flow with Env options always runs one task at a time).
func MaxWorkers(n int) Option { return maxWorkers(n) }

type maxWorkers int

func (m maxWorkers) apply(s *settings) { s.maxWorkers = int(m) }

// Run runs the flow f to its end and returns its tasks' states. A flow
// that does not pass the checks, bad parameters or configs, or a failed
// run stop the test (t.Fatal) with the reasons: for a failed run, each
// failed attempt's error and the last lines of its output.
func Run[T any](t testing.TB, f *stepflow.Flow[T], opts ...Option) *Result[T] {
	t.Helper()
	res := run(t, f, opts)
	if res.err != nil {
		t.Fatalf("stepflowtest: run of %s failed: %v%s", res.def.Name, res.err, res.describeFailures())
	}
	return res
}

// RunFailing runs the flow f and expects the run to fail, as a task fails
// for good (after its retries, and not caught). It stops the test when the
// run succeeds. Inspect the failure with Err and Failures, and the tasks
// that succeeded with Task.
func RunFailing[T any](t testing.TB, f *stepflow.Flow[T], opts ...Option) *Result[T] {
	t.Helper()
	res := run(t, f, opts)
	if res.err == nil {
		t.Fatalf("stepflowtest: run of %s succeeded; want it to fail", res.def.Name)
	}
	return res
}

func run[T any](t testing.TB, f *stepflow.Flow[T], opts []Option) *Result[T] {
	t.Helper()
	s := settings{params: map[string]any{}, configs: map[string]string{}, maxWorkers: 16}
	for _, o := range opts {
		if o != nil {
			o.apply(&s)
		}
	}
	def, ok := flow.DefinitionOf(f)
	if !ok {
		t.Fatalf("stepflowtest: the flow was not made with stepflow.New")
	}
	g, err := graph.New(def)
	if err != nil {
		t.Fatalf("stepflowtest: flow %s does not pass the checks:\n%v", def.Name, err)
	}
	params, err := formatParams(def, s.params)
	if err != nil {
		t.Fatalf("stepflowtest: flow %s: %v", def.Name, err)
	}
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatalf("stepflowtest: %v", err)
	}
	store := datastore.NewStore(b, def.Name)
	ctx := t.Context()
	configs, err := freezeConfigs(ctx, def, store.Blobs(), s.configs)
	if err != nil {
		t.Fatalf("stepflowtest: flow %s: %v", def.Name, err)
	}
	if err := storeFiles(ctx, def, store.Blobs(), params); err != nil {
		t.Fatalf("stepflowtest: flow %s: %v", def.Name, err)
	}
	rec := datastore.Run{Flow: def.Name, ID: RunID, Start: time.Now().UTC(), Params: params,
		Configs: configs, Tags: def.Tags, User: "stepflowtest", Runtime: "local"}
	if err := store.Runs().Put(ctx, rec); err != nil {
		t.Fatalf("stepflowtest: %v", err)
	}
	ex := &executor{def: def, g: g, store: store, secrets: s.secrets}
	if keys := envKeys(def); len(keys) > 0 {
		s.maxWorkers = 1
		for _, k := range keys {
			// t.Setenv refuses parallel tests and restores the variable
			// at the end of the test; the executor sets it per step.
			old, had := os.LookupEnv(k)
			t.Setenv(k, old)
			if !had {
				os.Unsetenv(k)
			}
		}
	}
	r := &runner.Runner{Flow: def, Graph: g, Store: store, Exec: ex,
		Opts: runner.Options{MaxWorkers: s.maxWorkers, InProcess: true}}
	runErr := r.Run(ctx, RunID, nil)
	var rfe *runner.RunFailedError
	if runErr != nil && !errors.As(runErr, &rfe) {
		t.Fatalf("stepflowtest: run of %s: %v", def.Name, runErr)
	}
	res := &Result[T]{t: t, def: def, g: g, err: runErr, store: store}
	if res.hook, err = runHook(ctx, store, def, runErr); err != nil {
		t.Fatalf("stepflowtest: exit hook of %s: %v", def.Name, err)
	}
	if err := res.load(ctx, store); err != nil {
		t.Fatalf("stepflowtest: read the run of %s: %v", def.Name, err)
	}
	return res
}

// formatParams checks the given parameters and formats every parameter's
// value as the run record stores it.
func formatParams(def *flow.Flow, given map[string]any) (map[string]string, error) {
	out := map[string]string{}
	known := map[string]bool{}
	for _, p := range def.Params {
		known[p.Name] = true
		v, ok := given[p.Name]
		if p.Kind == flow.File {
			path, isString := v.(string)
			switch {
			case ok && !isString:
				return nil, fmt.Errorf("file parameter %s takes a local path (a string), not a %T", p.Name, v)
			case !ok:
				path = p.Path
			}
			out[p.Name] = path // a path until storeFiles stores it
			continue
		}
		switch {
		case !ok && p.Required:
			return nil, fmt.Errorf("parameter %s is required: give it in stepflowtest.Params", p.Name)
		case !ok:
			v = p.Default
		}
		if s, isString := v.(string); isString && ok {
			if _, err := p.Parse(s); err != nil {
				return nil, err
			}
			out[p.Name] = s
			continue
		}
		if ok && reflect.TypeOf(v) != p.Type {
			return nil, fmt.Errorf("parameter %s is a %s; give a %s or a string, not a %T", p.Name, p.Type, p.Type, v)
		}
		s, err := p.Format(v)
		if err != nil {
			return nil, err
		}
		out[p.Name] = s
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !known[name] {
			return nil, fmt.Errorf("stepflowtest.Params has %s, but the flow has no parameter named %s", name, name)
		}
	}
	return out, nil
}

// storeFiles stores the file of every file parameter, as the run command
// does, and replaces its path in params with its run value.
func storeFiles(ctx context.Context, def *flow.Flow, blobs *datastore.Blobs, params map[string]string) error {
	for _, p := range def.Params {
		if p.Kind != flow.File {
			continue
		}
		path := params[p.Name]
		if _, err := p.CheckFile(path, flow.DefaultMaxFileParamSize, "stepflowtest.Params{\""+p.Name+"\": PATH}"); err != nil {
			return err
		}
		hash, size, err := blobs.PutFile(ctx, path)
		if err != nil {
			return fmt.Errorf("file parameter %s: %w", p.Name, err)
		}
		params[p.Name] = flow.FileValue{Hash: hash, Size: size, Name: filepath.Base(path)}.String()
	}
	return nil
}

// freezeConfigs reads every config of the flow and stores its value as the
// run command does: the artifact encoding of the decoded file, as a blob.
func freezeConfigs(ctx context.Context, def *flow.Flow, blobs *datastore.Blobs, given map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for _, c := range def.Configs {
		path, ok := given[c.Name]
		if !ok {
			path = c.Path
		}
		if path == "" {
			return nil, fmt.Errorf("config %s has no file: give one in stepflowtest.Configs", c.Name)
		}
		v, err := c.Load(path)
		if err != nil {
			return nil, fmt.Errorf("%w (stepflowtest.Configs gives another file)", err)
		}
		data, _, err := artifact.Encode(reflect.ValueOf(v))
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", c.Name, err)
		}
		if out[c.Name], err = blobs.Put(ctx, data); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("stepflowtest.Configs has %s, but the flow has no config named %s", name, name)
		}
	}
	return out, nil
}

// envKeys lists the variables the flow's Env options set, sorted.
func envKeys(def *flow.Flow) []string {
	var keys []string
	for _, s := range def.Steps {
		keys = append(keys, slices.Collect(maps.Keys(s.Options.Env))...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// executor runs each attempt in-process, like the run command's
// --in-process mode, except that a step with Env options runs in-process
// too, with its variables set in the process environment meanwhile (the
// run goes one task at a time then).
type executor struct {
	def   *flow.Flow
	g     *graph.Graph
	store *datastore.Store
	// secrets are the values of Secrets; nil: the environment's.
	secrets map[string]string
}

func (e *executor) Execute(ctx context.Context, j *runner.Job) (*datastore.Attempt, error) {
	if env := j.Step.Step.Options.Env; len(env) > 0 {
		defer task.SetEnv(env)()
	}
	out := &syncBuffer{}
	ex := &task.Executor{Flow: e.def, Graph: e.g, Store: e.store, Out: out}
	if e.secrets != nil {
		ex.Secrets = givenSecrets(e.secrets)
	}
	rec, err := ex.Run(ctx, task.Spec{RunID: j.Run, Step: j.Step.Name, TaskID: j.ID, Indices: j.Indices,
		Attempt: j.Attempt, Inputs: j.Inputs, Caught: j.Caught, CacheKey: j.CacheKey})
	if err != nil {
		return nil, err
	}
	if data := out.bytes(); len(data) > 0 {
		if err := e.store.Logs().Put(context.WithoutCancel(ctx), j.Run, j.Step.Name, j.ID, j.Attempt, "stdout", bytes.NewReader(data)); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// syncBuffer is the output of one task; steps may print from goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// taskKey names a task within the run.
type taskKey struct{ step, id string }

// Result is a finished test run: the state of every task that succeeded
// and every failed attempt.
type Result[T any] struct {
	t        testing.TB
	def      *flow.Flow
	g        *graph.Graph
	err      error
	store    *datastore.Store // the run's datastore, for CheckJoins
	states   map[taskKey]*T
	ids      map[string][]string    // step -> ids of its successful tasks, in index order
	logs     map[taskKey]string     // output of each task's latest successful attempt
	cards    map[taskKey]*card.Card // card of each task's latest successful attempt
	failures []TaskFailure
	hook     *datastore.HookRecord // nil: the flow has no exit hook
}

// TaskFailure is one failed attempt of a task.
type TaskFailure struct {
	Step    string // the step
	TaskID  string // the task id: "0", or the foreach indices joined by "-"
	Attempt int    // the attempt number, 0 for the first
	Err     string // the error, prefixed with the step ("step train: ..."), with the stack of a panic
	Output  string // what the attempt printed with Context.Printf
}

func (f TaskFailure) String() string {
	return fmt.Sprintf("%s/%s attempt %d: %s", f.Step, f.TaskID, f.Attempt, f.Err)
}

func (r *Result[T]) load(ctx context.Context, store *datastore.Store) error {
	r.states, r.ids, r.logs, r.cards = map[taskKey]*T{}, map[string][]string{}, map[taskKey]string{}, map[taskKey]*card.Card{}
	for _, step := range r.g.Order {
		ids, err := store.Attempts().Tasks(ctx, RunID, step)
		if err != nil {
			return err
		}
		for _, id := range ids {
			latest, err := store.Attempts().Latest(ctx, RunID, step, id)
			if datastore.IsNotFound(err) {
				continue // started, never finished: the run was stopped
			}
			if err != nil {
				return err
			}
			for n := 0; n <= latest.Attempt; n++ {
				a := latest
				if n < latest.Attempt {
					if a, err = store.Attempts().Get(ctx, RunID, step, id, n); datastore.IsNotFound(err) {
						continue
					} else if err != nil {
						return err
					}
				}
				out, err := readLog(ctx, store.Logs(), step, id, n)
				if err != nil {
					return err
				}
				if a.Status != datastore.StatusSucceeded {
					r.failures = append(r.failures, TaskFailure{Step: step, TaskID: id, Attempt: n, Err: a.Error, Output: out})
					continue
				}
				if n == latest.Attempt {
					st, err := decode[T](ctx, store.Blobs(), r.def, &a)
					if err != nil {
						return fmt.Errorf("task %s/%s: %w", step, id, err)
					}
					k := taskKey{step, id}
					r.states[k], r.logs[k] = st, out
					if a.Card != "" {
						data, err := store.Blobs().Get(ctx, a.Card)
						if err != nil {
							return fmt.Errorf("task %s/%s: card: %w", step, id, err)
						}
						k := &card.Card{}
						if err := json.Unmarshal(data, k); err != nil {
							return fmt.Errorf("task %s/%s: card: %w", step, id, err)
						}
						r.cards[taskKey{step, id}] = k
					}
					r.ids[step] = append(r.ids[step], id)
				}
			}
		}
	}
	return nil
}

func readLog(ctx context.Context, logs *datastore.Logs, step, id string, attempt int) (string, error) {
	rc, err := logs.Open(ctx, RunID, step, id, attempt, "stdout")
	if datastore.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	return string(data), err
}

// decode loads an attempt's artifacts into a new *T, field by field.
func decode[T any](ctx context.Context, blobs *datastore.Blobs, def *flow.Flow, a *datastore.Attempt) (*T, error) {
	st := new(T)
	v := reflect.ValueOf(st).Elem()
	for _, sf := range def.Fields() {
		ref, ok := a.Artifacts[sf.Name]
		if !ok {
			continue
		}
		if err := task.DecodeField(ctx, blobs, ref, v.FieldByIndex(sf.Index)); err != nil {
			return nil, fmt.Errorf("artifact %s: %w", sf.Name, err)
		}
	}
	return st, nil
}

// Err returns why the run failed, naming the task that made it fail, or
// nil when it succeeded.
func (r *Result[T]) Err() error { return r.err }

// Failed reports whether the run failed.
func (r *Result[T]) Failed() bool { return r.err != nil }

// Failures returns every failed attempt of the run, in the flow's step
// order, then task and attempt order: those that made the run fail, and
// those that were retried or caught.
func (r *Result[T]) Failures() []TaskFailure { return slices.Clone(r.failures) }

// End returns the state of the end step's task: the run's final artifacts.
// It stops the test when the run did not reach the end.
func (r *Result[T]) End() *T {
	r.t.Helper()
	return r.Task(r.g.End)
}

// Task returns the final state of the task of step at the given foreach
// indices, outermost first: none for a step outside any foreach, one per
// enclosing foreach otherwise (Task("measure", 2) is the third task of a
// foreach). A retried task's state is that of its successful attempt. It
// stops the test when there is no such successful task.
func (r *Result[T]) Task(step string, indices ...int) *T {
	r.t.Helper()
	id := r.taskID(step, indices)
	st, ok := r.states[taskKey{step, id}]
	if !ok {
		r.t.Fatalf("stepflowtest: %s/%s: no successful task; successful tasks of %s: %v%s",
			step, id, step, r.ids[step], r.describeFailures())
	}
	return st
}

// Card returns the card (c.Card()) of the successful task of step at the
// given foreach indices, as Task finds it: an empty card when the step
// added nothing. It stops the test when there is no such successful task.
func (r *Result[T]) Card(step string, indices ...int) *card.Card {
	r.t.Helper()
	r.Task(step, indices...)
	if k := r.cards[taskKey{step, r.taskID(step, indices)}]; k != nil {
		return k
	}
	return &card.Card{}
}

// Tasks returns the final states of the successful tasks of step, in
// foreach index order (one state for a step outside any foreach). It stops
// the test when the flow has no such step.
func (r *Result[T]) Tasks(step string) []*T {
	r.t.Helper()
	r.node(step)
	var out []*T
	for _, id := range r.ids[step] {
		out = append(out, r.states[taskKey{step, id}])
	}
	return out
}

// Output returns what the successful task of step at indices printed
// with Context.Printf. It stops the test when there is no such task.
func (r *Result[T]) Output(step string, indices ...int) string {
	r.t.Helper()
	id := r.taskID(step, indices)
	k := taskKey{step, id}
	if _, ok := r.states[k]; !ok {
		r.t.Fatalf("stepflowtest: %s/%s: no successful task; successful tasks of %s: %v", step, id, step, r.ids[step])
	}
	return r.logs[k]
}

func (r *Result[T]) node(step string) *graph.Node {
	r.t.Helper()
	n := r.g.Node(step)
	if n == nil {
		r.t.Fatalf("stepflowtest: flow %s has no step %q; steps: %v", r.def.Name, step, r.g.Order)
	}
	return n
}

func (r *Result[T]) taskID(step string, indices []int) string {
	r.t.Helper()
	n := r.node(step)
	if len(indices) != n.ForeachDepth {
		r.t.Fatalf("stepflowtest: step %s runs inside %d foreach(es): give %d index(es), not %v",
			step, n.ForeachDepth, n.ForeachDepth, indices)
	}
	return pathspec.TaskID(indices)
}

// describeFailures lists the failed attempts with the tail of their output.
func (r *Result[T]) describeFailures() string {
	if len(r.failures) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nfailed attempts:")
	for _, f := range r.failures {
		fmt.Fprintf(&b, "\n  %s", f)
		lines := strings.Split(strings.TrimRight(f.Output, "\n"), "\n")
		if f.Output == "" {
			continue
		}
		if len(lines) > logTail {
			fmt.Fprintf(&b, "\n    | ... (%d lines before)", len(lines)-logTail)
			lines = lines[len(lines)-logTail:]
		}
		for _, l := range lines {
			fmt.Fprintf(&b, "\n    | %s", l)
		}
	}
	return b.String()
}
