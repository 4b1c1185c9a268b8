package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/taskcontract"
)

// childProcess runs each attempt as `<exe> step ...` under a
// task.Supervisor: its output goes to the reporter line by line and is
// saved as the attempt's logs, and a child that dies without a record gets
// a failed one. Each child gets the fingerprint of the definition the
// runtime linted (--definition): it refuses to run another definition and
// does not lint this one again.
type childProcess struct {
	r          *Runner
	definition string
}

func (c *childProcess) Execute(ctx context.Context, j *Job) (*datastore.Attempt, error) {
	r := c.r
	inv := taskcontract.Invocation{Step: j.Step.Name, RunID: j.Run, TaskID: j.ID, Indices: j.Indices,
		Attempt: j.Attempt, Inputs: j.Inputs, Caught: j.Caught, DatastoreRoot: r.Opts.DatastoreRoot,
		Definition: c.definition, CacheKey: j.CacheKey}
	if inv.Inputs == nil {
		inv.Inputs = []string{} // the runtime always knows the inputs
	}
	env := slices.Clone(r.Opts.Env)
	if r.Opts.SecretsFile != "" {
		env = append(env, task.EnvSecretsFile+"="+r.Opts.SecretsFile)
	}
	for k, v := range j.Step.Step.Options.Env {
		env = append(env, k+"="+v)
	}
	sup := &task.Supervisor{Store: r.Store, Exe: r.Opts.Exe, Env: env, Timeout: j.Step.Step.Options.Timeout,
		Output: func(stream string, line []byte) { r.Reporter.Output(j, stream, line) }}
	res, err := sup.Run(ctx, inv)
	if err != nil {
		return nil, err
	}
	if res.LogErr != nil {
		return nil, res.LogErr
	}
	if res.Refused {
		// Bad input: the step command printed why on stderr.
		return nil, fmt.Errorf("step command refused the task: %s", res.StderrTail)
	}
	return res.Record, nil
}

// inProcess runs attempts as goroutines of the runtime's own process. It is
// faster, but offers no crash isolation, and a timed-out step keeps running
// in the background until the run ends. A step with Env options runs in a
// child process all the same: environment variables belong to a process,
// and tasks running side by side may need different values.
//
// The tasks of a foreach share the loading of the foreach task's state
// (task.ParentCache): each gets its own copy of it.
type inProcess struct {
	r       *Runner
	parents task.ParentCache
	child   *childProcess // runs the steps with Env options
}

func (p *inProcess) Execute(ctx context.Context, j *Job) (*datastore.Attempt, error) {
	if len(j.Step.Step.Options.Env) > 0 {
		return p.child.Execute(ctx, j)
	}
	var out bytes.Buffer
	w := &lineWriter{fn: func(line []byte) { p.r.Reporter.Output(j, "stdout", line) }, buf: &out}
	ex := &task.Executor{Flow: p.r.Flow, Graph: p.r.Graph, Store: p.r.Store, Out: w, Parents: &p.parents,
		Secrets: task.LocalSecrets{Getenv: p.r.secretsEnv}}
	rec, err := ex.Run(ctx, task.Spec{RunID: j.Run, Step: j.Step.Name, TaskID: j.ID, Indices: j.Indices,
		Attempt: j.Attempt, Inputs: j.Inputs, Caught: j.Caught, CacheKey: j.CacheKey})
	w.flush()
	if err != nil {
		return nil, err
	}
	if out.Len() > 0 {
		if err := p.r.Store.Logs().Put(context.WithoutCancel(ctx), j.Run, j.Step.Name, j.ID, j.Attempt, "stdout", bytes.NewReader(out.Bytes())); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// lineWriter buffers writes and hands complete lines to fn.
type lineWriter struct {
	mu      sync.Mutex
	fn      func([]byte)
	buf     *bytes.Buffer
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.fn(w.partial[:i+1])
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.fn(append(w.partial, '\n'))
		w.partial = nil
	}
}

// secretsEnv is the environment an in-process task reads its secrets
// from: the process's, with the run's secrets file.
func (r *Runner) secretsEnv(k string) string {
	if k == task.EnvSecretsFile && r.Opts.SecretsFile != "" {
		return r.Opts.SecretsFile
	}
	return os.Getenv(k)
}
