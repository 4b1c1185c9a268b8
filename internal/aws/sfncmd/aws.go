package sfncmd

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/aws/awssecrets"
	"github.com/stepflow/stepflow/internal/aws/bookkeeping"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/settings"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/s3store"
	"github.com/stepflow/stepflow/internal/flowcmd"
	"github.com/stepflow/stepflow/internal/inspect"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/task"
	eventtrigger "github.com/stepflow/stepflow/internal/trigger"
	"github.com/stepflow/stepflow/internal/usage"
)

func init() {
	flowcmd.Register(flowcmd.Extension{
		Name: "AWS Step Functions",
		Commands: func(f *flowcmd.Flow) []*command.Command {
			return []*command.Command{cmdStepFunctions(f)}
		},
		Bookkeeper: func(ctx context.Context, getenv func(string) string) (task.Bookkeeper, error) {
			t, err := bookkeeping.FromEnv(ctx, getenv)
			if t == nil || err != nil {
				return nil, err
			}
			return t, nil
		},
		Secrets: func(getenv func(string) string) task.SecretSource {
			return &awssecrets.Manager{Getenv: getenv}
		},
		Batch: batchRuntime,
	})
}

// sfnUser is who runs the command: the owner recorded by a deploy.
func sfnUser(env *command.Env) string {
	for _, k := range []string{"STEPFLOW_USER", "USER", "LOGNAME"} {
		if u := env.Getenv(k); u != "" {
			return u
		}
	}
	return fmt.Sprintf("uid%d", os.Getuid())
}

// tokenDir is the local cache of production tokens: $STEPFLOW_TOKEN_HOME,
// else "tokens" next to the config file.
func tokenDir(env *command.Env) string {
	if d := env.Getenv("STEPFLOW_TOKEN_HOME"); d != "" {
		return d
	}
	if p := settings.ConfigPath(env.Getenv); p != "" {
		return filepath.Join(filepath.Dir(p), "tokens")
	}
	return ""
}

// openS3Store opens the S3 datastore of the settings: its endpoint and
// region from the settings, else the environment.
func openS3Store(ctx context.Context, env *command.Env, flow string, s statemachine.Settings) (*s3store.Backend, error) {
	if s.DatastoreRoot == "" {
		return nil, usage.Wrap(&statemachine.MissingError{Flow: flow, Doing: "reach its datastore", Missing: []statemachine.Missing{{Flag: "datastore-root", Why: "where the tasks keep artifacts and logs, s3://bucket/prefix"}}})
	}
	b, err := s3store.FromEnv(ctx, s.DatastoreRoot, s3Env(env, s))
	if err != nil {
		return nil, usage.Errorf("datastore root %s: %v", s.DatastoreRoot, err)
	}
	return b, nil
}

// createOptions are the flags of create that deploy.
type createOptions struct {
	image      imageOptions
	authorize  string
	newToken   bool
	tags       map[string]string
	logHistory bool
	configs    []flowcmd.FrozenConfig // their hashes are in the settings' Configs
	files      []deploy.FileBlob      // their values are in the settings' Files
}

// connect checks the settings every operation needs and makes the clients.
func connect(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings) (*deploy.Ops, error) {
	if s.Region == "" {
		return nil, usage.Wrap(&statemachine.MissingError{Flow: f.Def.Name, Doing: "be reached on AWS Step Functions", Missing: []statemachine.Missing{{Flag: "region", Why: "the AWS region of the deployment"}}})
	}
	c, err := deploy.NewClients(ctx, s, deploy.ClientOptions{})
	if err != nil {
		return nil, err
	}
	return &deploy.Ops{C: c, Machine: statemachine.MachineName(f.Def, s), Flow: f.Def.Name, Scope: statemachine.MachineScope(f.Def, s), Prog: env.Invocation()}, nil
}

// create deploys the flow: code package, configs, job definitions, state
// machine and schedule.
func create(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings, o createOptions) error {
	g, err := f.Graph()
	if err != nil {
		return err
	}
	// Every missing setting, in one message, before any AWS call.
	if _, err := deploy.Check(g, s, o.logHistory); err != nil {
		return usage.Wrap(err)
	}
	// Then the endpoints and the datastore; deploy.Create checks the
	// production token and the job queues before it builds the code
	// package (BuildCode).
	c, err := deploy.NewClients(ctx, s, deploy.ClientOptions{})
	if err != nil {
		return err
	}
	store, err := openS3Store(ctx, env, f.Def.Name, s)
	if err != nil {
		return err
	}
	var configs []deploy.ConfigBlob
	for _, fc := range o.configs {
		configs = append(configs, deploy.ConfigBlob{Name: fc.Name, Data: fc.Data})
	}
	// What create is doing, and since when, on stderr: a first create
	// cross-compiles the flow and pushes its image, which takes minutes.
	progress := deploy.NewProgress(env.Stderr, env.Args0+": create: ", nil)
	images := func(ctx context.Context, need deploy.QueueArchs) (string, map[string]string, error) {
		return pushImages(ctx, env, f, s, o.image, need, progress)
	}
	err = deploy.Create(ctx, c, deploy.Options{Graph: g, Settings: s, Store: store, Images: images, Configs: configs, Files: o.files,
		User: sfnUser(env), Authorize: o.authorize, NewToken: o.newToken, TokenDir: tokenDir(env),
		Tags: o.tags, LogExecutionHistory: o.logHistory, Out: env.Stdout, Progress: progress})
	if err != nil {
		return err
	}
	machine := statemachine.MachineName(f.Def, s)
	if err := printPlanSummary(env, g, s); err != nil {
		return err
	}
	if f.Def.Schedule != nil {
		fmt.Fprintf(env.Stdout, "flow %s is deployed as %s; its schedule starts runs, and '%s step-functions trigger' starts one now\n", f.Def.Name, machine, env.Invocation())
	} else {
		fmt.Fprintf(env.Stdout, "flow %s is deployed as %s; start a run with '%s step-functions trigger'\n", f.Def.Name, machine, env.Invocation())
	}
	return nil
}

// trigger starts a run with the given parameter values.
func trigger(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings, params map[string]string, name string, wait watchFlags) error {
	ops, err := connect(ctx, env, f, s)
	if err != nil {
		return err
	}
	id, err := ops.TriggerNamed(ctx, params, sfnUser(env), name)
	if err != nil {
		if id != "" {
			// The execution was named first: the run may have started.
			fmt.Fprintf(env.Stderr, "%s: run %s may or may not have started; check with '%s step-functions status %s' before triggering again\n", env.Args0, id, env.Args0, id)
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "run %s of %s started on AWS Step Functions\n", id, f.Def.Name)
	if wait.on {
		g, err := f.Graph()
		if err != nil {
			return err
		}
		return watch(ctx, env, f, ops, g.Order, s, id, wait.interval)
	}
	fmt.Fprintf(env.Stdout, "follow it with: %s step-functions status %s\n", env.Invocation(), id)
	return nil
}

// listRuns prints the deployment's executions, newest first.
func listRuns(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings, status string) error {
	ops, err := connect(ctx, env, f, s)
	if err != nil {
		return err
	}
	runs, err := ops.ListRuns(ctx, status, true)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		with := ""
		if status != "" {
			with = " with status " + status
		}
		fmt.Fprintf(env.Stderr, "no runs of state machine %s%s\n", ops.Machine, with)
		if f.Def.Schedule != nil || len(f.Def.Triggers) > 0 {
			fmt.Fprintln(env.Stderr, deadLetterHint(s))
		}
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATUS\tSTARTED\tSTOPPED\tSTARTED BY")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, utc(r.Start), utc(r.Stop), cmp.Or(eventtrigger.Describe(r.Trigger), "-"))
	}
	return tw.Flush()
}

// onRun runs status, terminate, resume or hook on one run.
func onRun(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings, cmd, run string, o runOptions) error {
	if cmd == "hook" && f.Def.OnFinish == nil {
		return usage.Errorf("flow %s has no exit hook (OnFinish) to run", f.Def.Name)
	}
	ops, err := connect(ctx, env, f, s)
	if err != nil {
		return err
	}
	if run, err = resolveRun(ctx, ops, run); err != nil {
		return err
	}
	out := env.Stdout
	switch cmd {
	case "status":
		g, err := f.Graph()
		if err != nil {
			return err
		}
		if o.watch {
			return watch(ctx, env, f, ops, g.Order, s, run, o.interval)
		}
		_, err = status(ctx, env.Stdout, env, f, ops, g.Order, s, run)
		return err
	case "terminate":
		at, err := ops.Terminate(ctx, run, sfnUser(env), o.authorize, tokenDir(env))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "run %s terminated at %s\n", run, utc(at))
		return nil
	case "resume":
		if err := ops.Resume(ctx, run, sfnUser(env), o.authorize, tokenDir(env), time.Time{}); err != nil {
			return err
		}
		fmt.Fprintf(out, "run %s resumed on AWS Step Functions (redrive): the steps that did not succeed run again\n", run)
		fmt.Fprintf(out, "follow it with: %s step-functions status %s\n", env.Invocation(), run)
		return nil
	case "hook":
		id, err := ops.StartHook(ctx, run)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "the exit hook of run %s started on AWS Step Functions as run %s\n", run, id)
		fmt.Fprintf(out, "follow it with: %s step-functions status %s\n", env.Invocation(), id)
		return nil
	}
	return fmt.Errorf("internal error: no step-functions command %q", cmd)
}

// del deletes the schedule and the state machine.
// sendEvent publishes user event name with payload and prints its id.
func sendEvent(ctx context.Context, env *command.Env, s statemachine.Settings, name, payload string) error {
	c, err := deploy.NewClients(ctx, s, deploy.ClientOptions{})
	if err != nil {
		return err
	}
	id, err := deploy.SendEvent(ctx, c, name, payload)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "event %s (source %s) sent to EventBridge: %s\n", name, eventtrigger.Source, id)
	return nil
}

func del(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings, force bool, authorize string) error {
	ops, err := connect(ctx, env, f, s)
	if err != nil {
		return err
	}
	did, err := ops.Delete(ctx, force, sfnUser(env), authorize, tokenDir(env), statemachine.ScheduleName(ops.Machine))
	for _, l := range did {
		fmt.Fprintln(env.Stdout, l)
	}
	return err
}

func utc(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// status prints a run's progress on out: the execution history, and what
// the datastore holds. It returns the execution's status.
func status(ctx context.Context, out io.Writer, env *command.Env, f *flowcmd.Flow, ops *deploy.Ops, steps []string, s statemachine.Settings, run string) (string, error) {
	st, err := ops.Status(ctx, run, steps)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(out, "run %s: %s (started %s, stopped %s", st.ID, st.Status, utc(st.Start), utc(st.Stop))
	if st.Redrives > 0 {
		fmt.Fprintf(out, ", resumed %d time(s)", st.Redrives)
	}
	fmt.Fprintln(out, ")")
	if st.Error != "" && st.Error != ": " {
		fmt.Fprintf(out, "error: %s\n", st.Error)
		if fix := deploy.RoleFix(st.Error); fix != "" {
			fmt.Fprintf(out, "fix: %s\n", fix)
		}
	}
	// The datastore's view: tasks with a successful attempt, per step.
	var attempts *datastore.Attempts
	if b, err := openS3Store(ctx, env, f.Def.Name, s); err == nil {
		attempts = datastore.NewStore(b, f.Def.Name).Attempts()
	}
	prog := map[string]*deploy.StepProgress{}
	for _, p := range st.Steps {
		prog[p.Step] = p
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTARTED\tSUCCEEDED\tFAILED\tRUNNING\tDATASTORE")
	for _, name := range steps {
		p := prog[name]
		if p == nil {
			p = &deploy.StepProgress{}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", name, p.Started, p.Succeeded, p.Failed, p.Running, datastoreView(ctx, attempts, run, name))
	}
	return st.Status, tw.Flush()
}

// datastoreView says how many tasks of a step the datastore knows and how
// many succeeded; "-" without a datastore (attempts nil).
func datastoreView(ctx context.Context, attempts *datastore.Attempts, run, step string) string {
	if attempts == nil {
		return "-"
	}
	tasks, err := attempts.Tasks(ctx, run, step)
	if err != nil || len(tasks) == 0 {
		return "no tasks"
	}
	ok := 0
	for _, t := range tasks {
		if _, done, err := attempts.Succeeded(ctx, run, step, t); err == nil && done {
			ok++
		}
	}
	return fmt.Sprintf("%d task(s), %d succeeded", len(tasks), ok)
}

// logs prints a task's logs from the datastore, else CloudWatch Logs.
func logs(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings, ps pathspec.Pathspec, attempt int, stream string) error {
	ops, err := connect(ctx, env, f, s)
	if err != nil {
		return err
	}
	if ps.Run, err = resolveRun(ctx, ops, ps.Run); err != nil {
		return err
	}
	var dsErr error
	if c, err := openClient(ctx, env, f, s); err != nil {
		dsErr = err
	} else {
		in := &inspect.Inspector{Flow: c.Flow(f.Def.Name), Stdout: env.Stdout, Stderr: env.Stderr, RunsCmd: env.Invocation() + " runs"}
		if err := in.Logs(ctx, ps, attempt, stream); err == nil {
			return nil
		} else {
			dsErr = err
		}
	}
	job, err := ops.BatchJob(ctx, ps.Run, ps.Step, ps.Task)
	if err != nil {
		return fmt.Errorf("%w (the datastore has no logs either: %v)", err, dsErr)
	}
	fmt.Fprintf(env.Stderr, "%s: the datastore has no logs of %s (%v); showing CloudWatch Logs of AWS Batch job %s\n", env.Args0, ps.String(), dsErr, job)
	return ops.CloudLogs(ctx, job, env.Stdout)
}

// s3Env is the environment of the S3 datastore of the settings: its
// endpoint and region from the settings, else the environment.
func s3Env(env *command.Env, s statemachine.Settings) func(string) string {
	getenv := func(k string) string {
		switch {
		case k == s3store.EnvEndpoint && s.S3Endpoint != "":
			return s.S3Endpoint
		case k == s3store.EnvRegion && s.Region != "":
			return s.Region
		}
		return env.Getenv(k)
	}
	if s.S3Endpoint != "" && env.Getenv(s3store.EnvPathStyle) == "" {
		inner := getenv
		getenv = func(k string) string {
			if k == s3store.EnvPathStyle {
				return "true" // S3-compatible stores want path-style addressing
			}
			return inner(k)
		}
	}
	return getenv
}

// openClient reads the deployment's datastore with its settings.
func openClient(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings) (*client.Client, error) {
	if s.DatastoreRoot == "" {
		return nil, usage.Wrap(&statemachine.MissingError{Flow: f.Def.Name, Doing: "reach its datastore", Missing: []statemachine.Missing{{Flag: "datastore-root", Why: "where the tasks keep artifacts and logs, s3://bucket/prefix"}}})
	}
	return client.Open(ctx, s.DatastoreRoot, client.WithEnv(s3Env(env, s)))
}

// resolveRun turns "latest" into the id of the deployment's newest run.
func resolveRun(ctx context.Context, ops *deploy.Ops, run string) (string, error) {
	if run != latestRun {
		return run, nil
	}
	runs, err := ops.ListRuns(ctx, "", false)
	if err != nil {
		return "", err
	}
	if len(runs) == 0 {
		return "", usage.Errorf("state machine %s has no runs yet, so no latest run; start one with step-functions trigger", ops.Machine)
	}
	return runs[0].ID, nil
}

// watch shows a run's status every interval until it ends: redrawn in
// place on a terminal, printed again when it changed otherwise. It
// returns nil when the run succeeded, and a failure (exit status 1) when
// it failed, timed out or was stopped.
func watch(ctx context.Context, env *command.Env, f *flowcmd.Flow, ops *deploy.Ops, steps []string, s statemachine.Settings, run string, interval time.Duration) error {
	tty := false
	if fl, ok := env.Stdout.(*os.File); ok {
		if fi, err := fl.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	last, drawn := "", 0
	for {
		var buf bytes.Buffer
		st, err := status(ctx, &buf, env, f, ops, steps, s, run)
		if err != nil {
			return err
		}
		if text := buf.String(); text != last {
			if tty {
				fmt.Fprint(env.Stdout, strings.Repeat("\x1b[1A\x1b[2K", drawn))
			}
			fmt.Fprint(env.Stdout, text)
			last, drawn = text, strings.Count(text, "\n")
		}
		switch st {
		case "SUCCEEDED":
			return nil
		case "FAILED", "TIMED_OUT", "ABORTED":
			return &command.FailedError{Err: fmt.Errorf("run %s ended %s; see the failed steps above, and their logs with '%s step-functions logs %s/STEP/TASK'", run, st, env.Invocation(), run)}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
