// Package sfncmd is the step-functions command group of a flow binary:
// compile the flow to AWS Step Functions + AWS Batch, deploy it, and
// operate its runs (trigger, list-runs, status, logs, terminate, resume,
// delete). It links the AWS SDK. Importing it registers the commands (and
// the S3 datastore and the DynamoDB bookkeeping that cloud tasks use) with
// every flow binary of the program; package stepflow imports it under the
// stepflow_aws build tag, so that plain flow binaries start fast.
package sfncmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/jobdef"
	"github.com/stepflow/stepflow/internal/aws/settings"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/flowcmd"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/usage"
)

// cmdStepFunctions is the step-functions command group: compile, deploy
// and operate the flow on AWS Step Functions + AWS Batch. The commands
// that call AWS are in aws.go.
func cmdStepFunctions(f *flowcmd.Flow) *command.Command {
	return &command.Command{
		Name:  flowcmd.StepFunctionsCommand,
		Short: "deploy and operate the flow on AWS Step Functions and AWS Batch",
		Commands: []*command.Command{cmdSFNCreate(f), cmdSFNPlan(f), cmdSFNImage(f), cmdSFNTrigger(f), cmdSFNListRuns(f),
			cmdSFNRun(f, "status", "show a run's progress, step by step",
				`Status shows a run on AWS Step Functions: its status, and per step how many
tasks started, succeeded, failed and are running (from the execution history,
and AWS Batch's DescribeJobs for the children of a running array job) and what
the datastore holds for it. RUN may be "latest", the newest run.

With --watch it shows the table again every --interval until the run ends
(on a terminal, in place), and exits with the run's outcome: 0 when it
succeeded, 1 when it failed, timed out or was stopped.`, func(fs *flag.FlagSet, o *runOptions) {
					fs.BoolVar(&o.watch, "watch", false, "show the status until the run ends; exit 0 if it succeeded, 1 if not")
					fs.DurationVar(&o.interval, "interval", defaultWatchInterval, "how often --watch asks AWS")
				}),
			cmdSFNLogs(f),
			cmdSFNRun(f, "terminate", "stop a running run",
				`Terminate stops a running run (StopExecution). Stopping a run of another
user's deployment needs --authorize production:<token>.`,
				func(fs *flag.FlagSet, o *runOptions) {
					fs.StringVar(&o.authorize, "authorize", "", "production token of a deployment made by another user")
				}),
			cmdSFNRun(f, "resume", "resume a failed run in the cloud (redrive)",
				`Resume redrives a failed, timed out or terminated run on AWS Step Functions:
the run keeps its id and task ids, the states that succeeded are not run again,
and the records of earlier attempts stay in the datastore. Step Functions can
redrive a run up to 14 days after it ended; for an older run resume it locally
with 'resume --origin-run-id RUN'. Resuming a run of another user's
deployment needs --authorize production:<token>.`,
				func(fs *flag.FlagSet, o *runOptions) {
					fs.StringVar(&o.authorize, "authorize", "", "production token of a deployment made by another user")
				}),
			cmdSFNRun(f, "hook", "run the exit hook of an ended run (again)",
				`Hook runs the flow's exit hook (OnFinish) of a run that ended on AWS Step
Functions, told how its execution ended: it starts an execution that runs
only the hook's task, as the hook's EventBridge rule does after a run fails
(docs/state-machine.md, "Exit hook"). Use it when that event never came
(Step Functions sends it on a best-effort basis) or to run a hook again; the
hook's record (stepflow show FLOW/RUN) is rewritten.`, nil),
			cmdSFNSendEvent(f), cmdSFNDelete(f)},
	}
}

// durationOrSeconds is a flag taking "48h" or a number of seconds.
type durationOrSeconds struct{ d *time.Duration }

func (v durationOrSeconds) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return v.d.String()
}

func (v durationOrSeconds) Set(s string) error {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*v.d = time.Duration(n) * time.Second
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (48h) or a number of seconds", s)
	}
	*v.d = d
	return nil
}

// settingFlags declares the settings flags on fs, except those in skip
// (names taken by the flow's parameters in trigger).
func settingFlags(fs *flag.FlagSet, s *statemachine.Settings, skip map[string]bool) {
	for _, f := range statemachine.SettingFlags() {
		if !skip[f[0]] {
			fs.StringVar(s.Field(f[0]), f[0], "", fmt.Sprintf("setting %s (env %s)", f[1], f[2]))
		}
	}
}

// loadSettings completes the flags' settings from the environment and the
// config file; the region falls back to AWS_REGION and AWS_DEFAULT_REGION.
func loadSettings(env *command.Env, flags statemachine.Settings) (statemachine.Settings, error) {
	s, err := settings.Load(flags, env.Getenv, settings.ReadFile)
	if err != nil {
		return s, usage.Wrap(err)
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if s.Region == "" {
			s.Region = env.Getenv(k)
		}
	}
	return s, nil
}

// tagsFlag collects --tag KEY=VALUE.
type tagsFlag map[string]string

func (t tagsFlag) String() string { return "" }

func (t tagsFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	switch {
	case !ok || k == "":
		return fmt.Errorf("%q: write KEY=VALUE", v)
	case len(k) > 128 || len(val) > 256:
		return fmt.Errorf("%q: keys have at most 128 characters, values at most 256", v)
	case strings.HasPrefix(strings.ToLower(k), "aws:") || strings.HasPrefix(k, "stepflow:"):
		return fmt.Errorf("%q: the aws: and stepflow: prefixes are reserved", v)
	}
	t[k] = val
	return nil
}

func cmdSFNCreate(f *flowcmd.Flow) *command.Command {
	var onlyJSON, indent bool
	var outDir string
	var flags statemachine.Settings
	configs := flowcmd.ConfigFlag{}
	files := flowcmd.ConfigFlag{}
	o := createOptions{tags: map[string]string{}}
	return &command.Command{
		Name:      "create",
		UsageLine: "create [--only-json [--output-dir DIR]] [--config NAME=FILE] [--file NAME=PATH] [--authorize TOKEN] [--new-token] [--tag K=V] [--log-execution-history] [--code-package FILE] [--workflow-timeout 48h] [--max-workers N] [--distributed-map] [--no-array-jobs] [--array-size N] [--distributed-map-threshold N] [--foreach-chunk N] [settings flags]",
		Short:     "deploy the flow (or, with --only-json, compile it)",
		Long: `Create deploys the flow to AWS Step Functions and AWS Batch: it builds the
flow's own container image (the flow cross-compiled for linux as its
ENTRYPOINT, for the architectures of the job queues' compute environments; or
--code-package FILE) and pushes it to --image-repository unless the repository
holds it already, registers the job definitions (which name the image by
digest) that do not exist yet, creates or updates the state machine, and creates, updates or deletes
its EventBridge Scheduler schedule. What is already as wanted is left alone: a
second deploy of an unchanged flow changes nothing. It prints what it did, one
line per resource.

The first deploy mints a production token, stored in the state machine's tags
and passed to every task as STEPFLOW_PRODUCTION_TOKEN. Redeploying a flow that
another user deployed needs --authorize production:<token>; --new-token
rotates the token.

The flow's configs are read now, from their default files or --config
NAME=FILE as 'run' reads them, and frozen into the deployment: the definition
names each value by its hash and the deploy uploads it to the datastore, so
every run of the deployment sees these values. A changed config file needs a
new deploy. The default file of each file parameter (FileParam; --file
NAME=PATH gives another) is frozen the same way: hashed now, uploaded to the
datastore by the deploy, and the run's value unless 'step-functions trigger
--NAME PATH' uploads another.

With --only-json it compiles only: it prints the definition as create deploys
it, compact, byte for byte (--indent: indented, for reading) (or, with
--output-dir, writes state-machine.json, job-definitions.json and schedule.json
there) and calls no AWS API. The job definitions name the image --image gives
(one pushed by 'step-functions image'), else the image repository with a
placeholder digest of zeros (create would build and push the image); the
production token is the cached or --authorize one.
What it cannot know is noted on standard error.

Settings come from the flags, else STEPFLOW_* environment variables, else the
JSON config file ($STEPFLOW_CONFIG or ~/.stepflow/config.json; write it with
'stepflow configure aws'). Every missing setting is named in one message. See
docs/deploy.md and docs/state-machine.md.`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&onlyJSON, "only-json", false, "compile only: print (or write) the JSON, call no AWS API")
			fs.BoolVar(&indent, "indent", false, "with --only-json: print the definition indented (the deployed form is compact)")
			fs.StringVar(&outDir, "output-dir", "", "write state-machine.json, job-definitions.json and schedule.json to this directory")
			fs.Var(durationOrSeconds{&flags.WorkflowTimeout}, "workflow-timeout", "execution timeout (48h, or seconds); also the lifetime of bookkeeping items")
			fs.Var(durationOrSeconds{&flags.TaskTimeout}, "task-timeout", "Task state timeout of steps without a timeout of their own, queue time included (default 168h; env STEPFLOW_TASK_TIMEOUT)")
			fs.IntVar(&flags.MaxWorkers, "max-workers", 0, fmt.Sprintf("MaxConcurrency of every foreach Map (default %d)", statemachine.DefaultMaxWorkers))
			fs.BoolVar(&flags.DistributedMap, "distributed-map", false, "run every foreach as a chunked DISTRIBUTED Map (child executions)")
			fs.BoolVar(&flags.NoArrayJobs, "no-array-jobs", false, "run every foreach as a Step Functions Map (default: a top-level foreach over one step runs as AWS Batch array jobs)")
			fs.IntVar(&flags.ArraySize, "array-size", 0, "most children of one AWS Batch array job, 2 to 10000 (default 10000); a wider foreach runs as array jobs of min(N, 1000)")
			fs.IntVar(&flags.DistributedMapThreshold, "distributed-map-threshold", 0,
				fmt.Sprintf("widest top-level foreach run as one INLINE Map; wider ones run chunked in a DISTRIBUTED Map (1 to 1000; default automatic, at most %d; env STEPFLOW_DISTRIBUTED_MAP_THRESHOLD)", statemachine.DefaultDistributedMapThreshold))
			fs.IntVar(&flags.ForeachChunk, "foreach-chunk", 0,
				fmt.Sprintf("items per chunk (child execution) of a DISTRIBUTED foreach (1 to 1000; default automatic, at most %d; env STEPFLOW_FOREACH_CHUNK)", statemachine.DefaultForeachChunk))
			fs.StringVar(&o.authorize, "authorize", "", "production token of a deployment made by another user")
			fs.BoolVar(&o.newToken, "new-token", false, "rotate the production token (a new production namespace)")
			fs.Var(tagsFlag(o.tags), "tag", "tag the state machine: KEY=VALUE (repeatable)")
			fs.BoolVar(&o.logHistory, "log-execution-history", false, "log the execution history to the CloudWatch Logs group of --log-group-arn")
			o.image.flags(fs)
			fs.Var(configs, "config", "config file: NAME=FILE (repeatable); default: the config's own path")
			fs.Var(files, "file", "file of a file parameter, frozen into the deployment as its default: NAME=PATH (repeatable); default: the parameter's own path")
			settingFlags(fs, &flags, nil)
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("step-functions create takes no arguments, got %q", args)
			}
			g, err := f.Graph()
			if err != nil {
				return err
			}
			s, err := loadSettings(env, flags)
			if err != nil {
				return err
			}
			// The configs, frozen as a local run freezes them: only their
			// hashes go into the definition (nothing is written here).
			frozen, err := flowcmd.EncodeConfigs(f.Def, configs)
			if err != nil {
				return err
			}
			if len(frozen) > 0 {
				s.Configs = map[string]string{}
				for _, c := range frozen {
					s.Configs[c.Name] = c.Hash
				}
			}
			o.configs = frozen
			// The file parameters' default files, frozen the same way:
			// hashed now, uploaded by the deploy.
			if s.Files, o.files, err = freezeFiles(ctx, env, f.Def, files); err != nil {
				return err
			}
			if !onlyJSON {
				if outDir != "" {
					return usage.Errorf("--output-dir writes the compiled JSON: use it with --only-json")
				}
				return create(ctx, env, f, s, o)
			}
			// The image create deploys: --image, else the placeholder
			// digest of the same length (building and pushing it here
			// would make --only-json a deploy).
			if s.Image == "" || len(s.StepImages) < len(stepBases(f)) {
				fmt.Fprintf(env.Stderr, "%s: note: the job definitions name the flow image by the placeholder digest %.15s...; create puts the digest of the image it pushes there (give --image REPOSITORY@sha256:... to compile an image pushed by 'step-functions image')\n", env.Args0, statemachine.PlaceholderDigest)
			}
			// The production token goes into the job definitions (and
			// their names): the one create would use, when known here.
			if s.ProductionToken = deploy.KnownToken(tokenDir(env), statemachine.MachineName(f.Def, s), o.authorize); s.ProductionToken == "" {
				fmt.Fprintf(env.Stderr, "%s: note: no production token is known here (none cached, no --authorize): the job definitions create registers carry the one it assigns, and their names differ\n", env.Args0)
			}
			res, err := statemachine.Compile(g, s)
			if err != nil {
				// Every compile error is a problem of the flow or its
				// settings, which the user fixes.
				return usage.Wrap(err)
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(env.Stderr, "%s: warning: %s\n", env.Args0, w)
			}
			if outDir == "" {
				// What create deploys, byte for byte (the compact form
				// AWS counts against its 1 MiB limit); --indent for
				// reading.
				def := res.Compact
				if indent {
					def = res.Definition
				}
				_, err := env.Stdout.Write(def)
				return err
			}
			return writeCompiled(outDir, res)
		},
	}
}

// MaxParamsChars is the room for the parameters (the JSON of every value,
// defaults merged, as an environment value) in the start task's container
// overrides: AWS Batch's 8,192 characters less what the other variables take
// at most (the compiler checks that they leave this room).
const MaxParamsChars = statemachine.MaxParamsChars

func cmdSFNTrigger(f *flowcmd.Flow) *command.Command {
	return &command.Command{
		Name:      "trigger",
		UsageLine: "trigger [--PARAM value ...] [--run-name NAME] [--on-finish-of FLOW/RUN [--force]] [settings flags]",
		Short:     "start a run of the deployed flow",
		Long: `Trigger starts a run of the deployed state machine and prints its run id
(sfn-<execution name>). Each parameter of the flow is a flag; values are checked
here against the parameter's type, required parameters must be given, and the
input must fit the AWS limits. Parameters not given take the defaults deployed
with the flow.

--run-name NAME names the run sfn-NAME instead of a random UUID: 1 to 80
letters, digits and _ . = + - @ (the run id tags every AWS Batch job of the
run). Step Functions refuses a name used in the last 90 days.

--on-finish-of FLOW/RUN starts the run that the finish of upstream run RUN of
FLOW starts through the flow's TriggerOnFinish, with the same input, for when
Step Functions' finish event (delivered on a best-effort basis) never came.
It refuses a run of FLOW that has not ended and, unless --force, one whose
finish already started a run (docs/triggers.md).`,
		RawArgs: true,
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			return runSFNTrigger(ctx, env, f, args)
		},
	}
}

// sfnValue is a flag value that records whether it was set.
type sfnValue struct {
	v   string
	set bool
}

func (o *sfnValue) String() string     { return o.v }
func (o *sfnValue) Set(v string) error { o.v, o.set = v, true; return nil }

func runSFNTrigger(ctx context.Context, env *command.Env, f *flowcmd.Flow, args []string) error {
	if _, err := f.Graph(); err != nil {
		return err
	}
	var flags statemachine.Settings
	cmd := cmdSFNTrigger(f)
	fs := command.NewFlagSet(env.Args0+" step-functions trigger", env, cmd)
	params := map[string]*sfnValue{}
	skip := map[string]bool{}
	for _, p := range f.Def.Params {
		v := &sfnValue{}
		params[p.Name] = v
		skip[p.Name] = true
		usage := p.Help + " (" + p.Kind.String() + ")"
		if p.Kind == flow.File {
			usage = p.Help + " (a local file, uploaded to the datastore for the run)"
		}
		if p.Required {
			usage += ", required"
		} else if p.Kind == flow.File {
			usage += ", default: the file frozen by create"
		} else if s, err := p.Format(p.Default); err == nil {
			usage += ", deployed default " + s
		}
		fs.Var(v, p.Name, usage)
	}
	settingFlags(fs, &flags, skip)
	var runName, onFinishOf string
	var force bool
	if !skip["run-name"] {
		fs.StringVar(&runName, "run-name", "", "name the run sfn-NAME (1 to 80 letters, digits and _ . = + - @); default: a random UUID")
	}
	if !skip["on-finish-of"] {
		fs.StringVar(&onFinishOf, "on-finish-of", "", "start the run the finish of upstream run FLOW/RUN starts through the flow's TriggerOnFinish")
	}
	if !skip["force"] {
		fs.BoolVar(&force, "force", false, "with --on-finish-of: start a run even if that finish started one already")
	}
	var wait watchFlags
	if !skip["wait"] && !skip["interval"] {
		fs.BoolVar(&wait.on, "wait", false, "wait for the run to end, showing its status; exit 0 if it succeeded, 1 if not")
		fs.DurationVar(&wait.interval, "interval", defaultWatchInterval, "how often --wait asks AWS")
	}
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usage.Errorf("trigger takes no arguments, got %q; parameters are flags (--name value)", fs.Args())
	}
	if wait.on && wait.interval <= 0 {
		return usage.Errorf("--interval %s: use a positive duration, e.g. 5s", wait.interval)
	}
	if runName != "" {
		if err := deploy.CheckRunName(runName); err != nil {
			return fmt.Errorf("--run-name: %w", err)
		}
	}
	if force && onFinishOf == "" {
		return usage.Errorf("--force goes with --on-finish-of FLOW/RUN")
	}
	if onFinishOf != "" {
		for _, p := range f.Def.Params {
			if params[p.Name].set {
				return usage.Errorf("--on-finish-of starts the run with the parameters the finish event maps; give no --%s", p.Name)
			}
		}
		if runName != "" {
			return usage.Errorf("--on-finish-of names the run it starts as a trigger does; give no --run-name")
		}
		s, err := loadSettings(env, flags)
		if err != nil {
			return err
		}
		return catchUp(ctx, env, f, s, onFinishOf, force, wait)
	}
	given := map[string]string{}
	merged := map[string]string{}
	files := map[string]string{}
	for _, p := range f.Def.Params {
		v := params[p.Name]
		switch {
		case p.Kind == flow.File && v.set:
			files[p.Name] = v.v
			merged[p.Name] = sizedFileValue(v.v) // as long as the value, for the check below
		case p.Kind == flow.File && p.Required:
			return usage.Errorf("file parameter %s is required: give it with --%s PATH (%s)", p.Name, p.Name, p.Help)
		case p.Kind == flow.File:
			merged[p.Name] = sizedFileValue(p.Path) // about as long as the deployed default
		case v.set:
			if _, err := p.Parse(v.v); err != nil {
				return usage.Errorf("%v; run '%s step-functions trigger --help' for the parameters", err, env.Invocation())
			}
			given[p.Name], merged[p.Name] = v.v, v.v
		case p.Required:
			return usage.Errorf("parameter %s is required: give it with --%s (%s)", p.Name, p.Name, p.Help)
		case p.Default != nil:
			if s, err := p.Format(p.Default); err == nil {
				merged[p.Name] = s
			}
		}
	}
	js, _ := json.Marshal(merged)
	quoted, _ := json.Marshal(string(js))
	if len(quoted) > MaxParamsChars {
		return usage.Errorf("the parameter values take %d characters in the start task's container overrides, over the %d that fit (AWS Batch allows 8,192 for all of them); pass large values in a file on S3 and give its URL", len(quoted), MaxParamsChars)
	}
	s, err := loadSettings(env, flags)
	if err != nil {
		return err
	}
	// The files given for file parameters go to the datastore first; the
	// run gets their values.
	stored, err := uploadFileParams(ctx, env, f, s, files)
	if err != nil {
		return err
	}
	maps.Copy(given, stored)
	return trigger(ctx, env, f, s, given, runName, wait)
}

// watchFlags are trigger's --wait and --interval.
type watchFlags struct {
	on       bool
	interval time.Duration
}

// latestRun names the newest run of the deployment.
const latestRun = "latest"

// runStatuses are the execution statuses list-runs filters on.
var runStatuses = []string{"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"}

func cmdSFNListRuns(f *flowcmd.Flow) *command.Command {
	var flags statemachine.Settings
	var status string
	return &command.Command{
		Name:      "list-runs",
		UsageLine: "list-runs [--status S] [settings flags]",
		Short:     "list the runs of the deployed flow, newest first",
		Long: `List-runs lists the executions of the deployed state machine, newest first:
run id, status, start and stop time (UTC), and what started it (schedule,
user, event with its id, or upstream run: the Trigger of its input).
--status keeps one status: ` + strings.Join(runStatuses, ", ") + `.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&status, "status", "", "only runs with this status")
			settingFlags(fs, &flags, nil)
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("list-runs takes no arguments, got %q", args)
			}
			status = strings.ToUpper(strings.ReplaceAll(status, "-", "_"))
			if status != "" && !slices.Contains(runStatuses, status) {
				return usage.Errorf("--status %q is not a run status; use one of %s", status, strings.Join(runStatuses, ", "))
			}
			s, err := loadSettings(env, flags)
			if err != nil {
				return err
			}
			return listRuns(ctx, env, f, s, status)
		},
	}
}

// runOptions are the flags of a command taking one run id.
type runOptions struct {
	authorize string
	watch     bool          // status
	interval  time.Duration // status --watch
}

// defaultWatchInterval is how often trigger --wait and status --watch ask
// AWS for the run's status.
const defaultWatchInterval = 5 * time.Second

// cmdSFNRun is a command taking one run id: status, terminate, resume,
// hook.
func cmdSFNRun(f *flowcmd.Flow, name, short, long string, extra func(fs *flag.FlagSet, o *runOptions)) *command.Command {
	var flags statemachine.Settings
	var o runOptions
	return &command.Command{
		Name:      name,
		UsageLine: name + " [flags] RUN",
		Short:     short,
		Long:      long,
		Flags: func(fs *flag.FlagSet) {
			if extra != nil {
				extra(fs, &o)
			}
			settingFlags(fs, &flags, nil)
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) != 1 {
				return usage.Errorf("%s takes one run id (sfn-...), got %d arguments; list the runs with '%s step-functions list-runs'", name, len(args), env.Invocation())
			}
			if !statemachine.IsRunID(args[0]) && args[0] != latestRun {
				return usage.Errorf("run id %q is not a Step Functions run: their ids begin with %q, or write %q (list them with '%s step-functions list-runs')", args[0], statemachine.RunPrefix, latestRun, env.Invocation())
			}
			if o.watch && o.interval <= 0 {
				return usage.Errorf("--interval %s: use a positive duration, e.g. 5s", o.interval)
			}
			s, err := loadSettings(env, flags)
			if err != nil {
				return err
			}
			return onRun(ctx, env, f, s, name, args[0], o)
		},
	}
}

func cmdSFNLogs(f *flowcmd.Flow) *command.Command {
	var flags statemachine.Settings
	var attempt int
	var stream string
	return &command.Command{
		Name:      "logs",
		UsageLine: "logs [--attempt N] [--stream stdout|stderr] [settings flags] RUN/STEP/TASK",
		Short:     "print a cloud task's output",
		Long: `Logs prints what a task of a run on AWS wrote: the logs saved in the datastore
(--datastore-root, s3://...) with the task's attempt, and when the datastore has
none (the task was killed before saving them, or is still running) the
CloudWatch Logs stream of its AWS Batch job, found through the execution
history.`,
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&attempt, "attempt", -1, "attempt number (0 for the first); default: the latest finished")
			fs.StringVar(&stream, "stream", "", "print only this stream: stdout or stderr")
			settingFlags(fs, &flags, nil)
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) != 1 {
				return usage.Errorf("logs takes one RUN/STEP/TASK, got %d arguments", len(args))
			}
			ps, err := pathspec.Parse(args[0], 3)
			if err != nil {
				return usage.Wrap(err)
			}
			if !statemachine.IsRunID(ps.Run) && ps.Run != latestRun {
				return usage.Errorf("run id %q is not a Step Functions run: their ids begin with %q (or write %q); for a local run use '%s logs'", ps.Run, statemachine.RunPrefix, latestRun, env.Invocation())
			}
			s, err := loadSettings(env, flags)
			if err != nil {
				return err
			}
			return logs(ctx, env, f, s, ps, attempt, stream)
		},
	}
}

func cmdSFNSendEvent(f *flowcmd.Flow) *command.Command {
	var flags statemachine.Settings
	var payload string
	return &command.Command{
		Name:      "send-event",
		UsageLine: "send-event NAME [--payload JSON] [settings flags]",
		Short:     "publish a user event on EventBridge",
		Long: `Send-event publishes a user event on the account's default EventBridge bus:
source "stepflow", detail-type NAME, detail the JSON object --payload (default
{}). Every deployed flow with a trigger stepflow.OnEvent(NAME, ...), in any
project or branch, starts a run with the parameters its mapping takes from
the event (see docs/triggers.md). It prints the event's id, which the runs it
starts record as what started them.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&payload, "payload", "", "the event's detail, a JSON object (default {})")
			settingFlags(fs, &flags, nil)
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) != 1 {
				return usage.Errorf("send-event takes one argument, the event's name (e.g. data.ready), got %q", args)
			}
			s, err := loadSettings(env, flags)
			if err != nil {
				return err
			}
			return sendEvent(ctx, env, s, args[0], payload)
		},
	}
}

func cmdSFNDelete(f *flowcmd.Flow) *command.Command {
	var flags statemachine.Settings
	var force bool
	var authorize string
	return &command.Command{
		Name:      "delete",
		UsageLine: "delete [--force] [--authorize TOKEN] [settings flags]",
		Short:     "delete the deployed state machine, its schedule and its event rules",
		Long: `Delete deletes the flow's schedule, event rules and state machine. It refuses while runs are
in flight unless --force (the runs then go on until they end). Job
definitions and the code package stay (running jobs may use them). Deleting
another user's deployment needs --authorize production:<token>.`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&force, "force", false, "delete even with runs in flight")
			fs.StringVar(&authorize, "authorize", "", "production token of a deployment made by another user")
			settingFlags(fs, &flags, nil)
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("delete takes no arguments, got %q", args)
			}
			s, err := loadSettings(env, flags)
			if err != nil {
				return err
			}
			return del(ctx, env, f, s, force, authorize)
		},
	}
}

// writeCompiled writes the compiled files to dir, each atomically.
func writeCompiled(dir string, res *statemachine.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	jds, err := jobdef.Marshal(res.JobDefinitions)
	if err != nil {
		return err
	}
	files := map[string][]byte{"state-machine.json": res.Definition, "job-definitions.json": jds}
	if res.Schedule != nil {
		if files["schedule.json"], err = jobdef.Marshal(res.Schedule); err != nil {
			return err
		}
	} else if err := os.Remove(filepath.Join(dir, "schedule.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, name := range []string{"state-machine.json", "job-definitions.json", "schedule.json"} {
		data, ok := files[name]
		if !ok {
			continue
		}
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}
