//go:build stepflow_aws

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/aws/codepkg"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/sfn"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/s3"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// sfnAWS runs a step-functions command that calls AWS.
func sfnAWS(ctx context.Context, env *Env, req *sfnRequest) error {
	err := sfnRun(ctx, env, req)
	var ue *deploy.UserError
	var me *sfn.MissingError
	switch {
	case errors.As(err, &ue), errors.As(err, &me):
		return &UsageError{Err: err}
	}
	return err
}

// sfnUser is who runs the command: the owner recorded by a deploy.
func sfnUser(env *Env) string {
	for _, k := range []string{"STEPFLOW_USER", "USER", "LOGNAME"} {
		if u := env.Getenv(k); u != "" {
			return u
		}
	}
	return fmt.Sprintf("uid%d", os.Getuid())
}

// tokenDir is the local cache of production tokens: $STEPFLOW_TOKEN_HOME,
// else "tokens" next to the config file.
func tokenDir(env *Env) string {
	if d := env.Getenv("STEPFLOW_TOKEN_HOME"); d != "" {
		return d
	}
	if p := sfn.ConfigPath(env.Getenv); p != "" {
		return filepath.Join(filepath.Dir(p), "tokens")
	}
	return ""
}

// openS3Store opens the S3 datastore of the settings: its endpoint and
// region from the settings, else the environment.
func openS3Store(ctx context.Context, env *Env, s sfn.Settings) (*s3.Backend, error) {
	if s.DatastoreRoot == "" {
		return nil, &sfn.MissingError{Flow: env.Flow.Name, Doing: "reach its datastore", Missing: []sfn.Missing{{Flag: "datastore-root", Why: "where the tasks keep artifacts and logs, s3://bucket/prefix"}}}
	}
	getenv := func(k string) string {
		switch {
		case k == s3.EnvEndpoint && s.S3Endpoint != "":
			return s.S3Endpoint
		case k == s3.EnvRegion && s.Region != "":
			return s.Region
		}
		return env.Getenv(k)
	}
	if s.S3Endpoint != "" && env.Getenv(s3.EnvPathStyle) == "" {
		inner := getenv
		getenv = func(k string) string {
			if k == s3.EnvPathStyle {
				return "true" // S3-compatible stores want path-style addressing
			}
			return inner(k)
		}
	}
	b, err := s3.FromEnv(ctx, s.DatastoreRoot, getenv)
	if err != nil {
		return nil, Usagef("datastore root %s: %v", s.DatastoreRoot, err)
	}
	return b, nil
}

func sfnRun(ctx context.Context, env *Env, req *sfnRequest) error {
	g, err := env.Graph()
	if err != nil {
		return err
	}
	s := req.Settings
	if req.Cmd == "create" {
		// Every missing setting, in one message, before any AWS call.
		if _, err := deploy.Check(g, s, req.LogHistory); err != nil {
			return &UsageError{Err: err}
		}
	} else if s.Region == "" {
		return &sfn.MissingError{Flow: env.Flow.Name, Doing: "be reached on AWS Step Functions", Missing: []sfn.Missing{{Flag: "region", Why: "the AWS region of the deployment"}}}
	}
	c, err := deploy.NewClients(ctx, s, deploy.ClientOptions{})
	if err != nil {
		return err
	}
	machine := sfn.MachineName(env.Flow, s)
	ops := &deploy.Ops{C: c, Machine: machine, Flow: env.Flow.Name, Prog: env.Args0}
	out := env.Stdout
	switch req.Cmd {
	case "create":
		pkg, err := codePackage(ctx, env, req)
		if err != nil {
			return err
		}
		store, err := openS3Store(ctx, env, s)
		if err != nil {
			return err
		}
		var configs []deploy.ConfigBlob
		for _, fc := range req.Configs {
			configs = append(configs, deploy.ConfigBlob{Name: fc.Name, Data: fc.Data})
		}
		err = deploy.Create(ctx, c, deploy.Options{Graph: g, Settings: s, Code: pkg, CodeStore: store, Configs: configs,
			User: sfnUser(env), Authorize: req.Authorize, NewToken: req.NewToken, TokenDir: tokenDir(env),
			Tags: req.Tags, LogExecutionHistory: req.LogHistory, Out: out})
		if err != nil {
			return err
		}
		if env.Flow.Schedule != nil {
			fmt.Fprintf(out, "flow %s is deployed as %s; its schedule starts runs, and '%s step-functions trigger' starts one now\n", env.Flow.Name, machine, env.Args0)
		} else {
			fmt.Fprintf(out, "flow %s is deployed as %s; start a run with '%s step-functions trigger'\n", env.Flow.Name, machine, env.Args0)
		}
		return nil
	case "trigger":
		id, err := ops.Trigger(ctx, req.Params)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "run %s of %s started on AWS Step Functions\n", id, env.Flow.Name)
		fmt.Fprintf(out, "follow it with: %s step-functions status %s\n", env.Args0, id)
		return nil
	case "list-runs":
		runs, err := ops.ListRuns(ctx, req.Status)
		if err != nil {
			return err
		}
		if len(runs) == 0 {
			fmt.Fprintf(env.Stderr, "no runs of state machine %s%s\n", machine, map[bool]string{true: " with status " + req.Status}[req.Status != ""])
			return nil
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN\tSTATUS\tSTARTED\tSTOPPED")
		for _, r := range runs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Status, utc(r.Start), utc(r.Stop))
		}
		return tw.Flush()
	case "status":
		return sfnStatus(ctx, env, ops, g.Order, req)
	case "logs":
		return sfnLogs(ctx, env, ops, req)
	case "terminate":
		at, err := ops.Terminate(ctx, req.Run, sfnUser(env), req.Authorize, tokenDir(env))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "run %s terminated at %s\n", req.Run, utc(at))
		return nil
	case "resume":
		if err := ops.Resume(ctx, req.Run, time.Time{}); err != nil {
			return err
		}
		fmt.Fprintf(out, "run %s resumed on AWS Step Functions (redrive): the steps that did not succeed run again\n", req.Run)
		fmt.Fprintf(out, "follow it with: %s step-functions status %s\n", env.Args0, req.Run)
		return nil
	case "delete":
		did, err := ops.Delete(ctx, req.Force, sfnUser(env), req.Authorize, tokenDir(env), sfn.ScheduleName(machine))
		for _, l := range did {
			fmt.Fprintln(out, l)
		}
		return err
	}
	return fmt.Errorf("internal error: unknown step-functions command %q", req.Cmd)
}

func utc(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// codePackage reads the prebuilt package, or cross-compiles the flow.
func codePackage(ctx context.Context, env *Env, req *sfnRequest) (*codepkg.Package, error) {
	t, err := codepkg.ParseArch(req.Arch)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--arch: %v", err)}
	}
	if req.CodePackage != "" {
		data, err := os.ReadFile(req.CodePackage)
		if err != nil {
			return nil, Usagef("--code-package: %v", err)
		}
		return codepkg.FromBinary(data, t), nil
	}
	pkg, err := codepkg.MainPackage()
	if err != nil {
		return nil, Usagef("build the code package: %v; or give a prebuilt linux binary with --code-package FILE", err)
	}
	fmt.Fprintf(env.Stderr, "%s: cross-compiling %s for %s/%s\n", env.Args0, pkg, t.OS, t.Arch)
	p, err := codepkg.Build(ctx, env.SourceDir, pkg, t)
	if err != nil {
		return nil, Usagef("build the code package: %v", err)
	}
	return p, nil
}

// sfnStatus prints a run's progress: the execution history, and what the
// datastore holds.
func sfnStatus(ctx context.Context, env *Env, ops *deploy.Ops, steps []string, req *sfnRequest) error {
	st, err := ops.Status(ctx, req.Run, steps)
	if err != nil {
		return err
	}
	out := env.Stdout
	fmt.Fprintf(out, "run %s: %s (started %s, stopped %s", st.ID, st.Status, utc(st.Start), utc(st.Stop))
	if st.Redrives > 0 {
		fmt.Fprintf(out, ", resumed %d time(s)", st.Redrives)
	}
	fmt.Fprintln(out, ")")
	if st.Error != "" && st.Error != ": " {
		fmt.Fprintf(out, "error: %s\n", st.Error)
	}
	// The datastore's view: tasks with a successful attempt, per step.
	var store *datastore.Store
	if b, err := openS3Store(ctx, env, req.Settings); err == nil {
		store = datastore.NewStore(b, env.Flow.Name)
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
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", name, p.Started, p.Succeeded, p.Failed, p.Running, datastoreView(ctx, store, req.Run, name))
	}
	return tw.Flush()
}

// datastoreView says how many tasks of a step the datastore knows and how
// many succeeded.
func datastoreView(ctx context.Context, store *datastore.Store, run, step string) string {
	if store == nil {
		return "-"
	}
	tasks, err := store.Tasks(ctx, run, step)
	if err != nil || len(tasks) == 0 {
		return "no tasks"
	}
	ok := 0
	for _, t := range tasks {
		if _, done, err := store.Succeeded(ctx, run, step, t); err == nil && done {
			ok++
		}
	}
	return fmt.Sprintf("%d task(s), %d succeeded", len(tasks), ok)
}

// sfnLogs prints a task's logs from the datastore, else CloudWatch Logs.
func sfnLogs(ctx context.Context, env *Env, ops *deploy.Ops, req *sfnRequest) error {
	ps := pathspec.Pathspec{Run: req.Run, Step: req.Step, Task: req.Task}
	var dsErr error
	if b, err := openS3Store(ctx, env, req.Settings); err != nil {
		dsErr = err
	} else {
		in, err := flowInspectorFor(env, req.Settings.DatastoreRoot, b)
		if err == nil {
			if err = in.Logs(ctx, ps, req.Attempt, req.Stream); err == nil {
				return nil
			}
		}
		dsErr = err
	}
	job, err := ops.BatchJob(ctx, req.Run, req.Step, req.Task)
	if err != nil {
		return fmt.Errorf("%w (the datastore has no logs either: %v)", err, dsErr)
	}
	fmt.Fprintf(env.Stderr, "%s: the datastore has no logs of %s (%v); showing CloudWatch Logs of AWS Batch job %s\n", env.Args0, strings.Join([]string{req.Run, req.Step, req.Task}, "/"), dsErr, job)
	return ops.CloudLogs(ctx, job, env.Stdout)
}

// flowInspectorFor inspects the flow's runs in the datastore b at root.
func flowInspectorFor(env *Env, root string, b datastore.Backend) (*Inspector, error) {
	return &Inspector{Flow: client.New(root, b).Flow(env.Flow.Name), Stdout: env.Stdout, Stderr: env.Stderr, RunsCmd: env.Args0 + " runs"}, nil
}
