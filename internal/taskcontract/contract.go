// Package taskcontract is the task contract of docs/task-contract.md: how
// one `<flow-binary> step ...` invocation is encoded as arguments and
// environment variables, and how the step command parses it back. Every
// party to the contract goes through it: the local runtime and the task
// supervisor (Invocation.Args), the step command (Parse, Flags), the
// Step Functions compiler and the Batch job definitions (the Env* names).
//
// It depends on nothing but the command-line helpers, so the pure
// compiler can import it.
package taskcontract

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/readlimit"
	"github.com/stepflow/stepflow/internal/usage"
)

// Environment variables of the contract. Each flag of the step command
// falls back to one of the first group; the second group is set only by
// the compiled state machine and job definitions (docs/state-machine.md).
const (
	EnvStep          = "STEPFLOW_STEP"
	EnvRunID         = "STEPFLOW_RUN_ID"
	EnvTaskID        = "STEPFLOW_TASK_ID"
	EnvAttempt       = "STEPFLOW_ATTEMPT"
	EnvInputPaths    = "STEPFLOW_INPUT_PATHS"
	EnvIndices       = "STEPFLOW_INDICES"
	EnvParams        = "STEPFLOW_PARAMS"
	EnvConfigs       = "STEPFLOW_CONFIGS"
	EnvTrigger       = "STEPFLOW_TRIGGER"
	EnvCaught        = "STEPFLOW_CAUGHT" // an error name (States.TaskFailed), not a message
	EnvDatastoreRoot = "STEPFLOW_DATASTORE_ROOT"
	EnvDefinition    = "STEPFLOW_DEFINITION"
	EnvCacheKey      = "STEPFLOW_CACHE_KEY"

	// EnvCaptureLogs is 1 in every job definition: the step command then
	// supervises the attempt (internal/task.Supervisor). The supervised
	// child has it set to CaptureLogsChild.
	EnvCaptureLogs = "STEPFLOW_CAPTURE_LOGS"
	// EnvProductionToken is the deployment's production token: the start
	// task of a cloud run tags the run record ProductionPrefix + token.
	EnvProductionToken = "STEPFLOW_PRODUCTION_TOKEN"
	EnvDynamoDBTable   = "STEPFLOW_DYNAMODB_TABLE"
	EnvTTLSeconds      = "STEPFLOW_DYNAMODB_TTL_SECONDS"
	EnvFlow            = "STEPFLOW_FLOW"
	// EnvForeachLimit is the most items the step, a foreach, may have: set
	// on a nested foreach that the state machine runs as one INLINE Map
	// (States.ArrayRange lists at most 1,000 items). A wider foreach task
	// fails, naming the step, its width and the fix.
	EnvForeachLimit = "STEPFLOW_FOREACH_LIMIT"
	// EnvCacheItems is set on a top-level foreach whose body's first step
	// is cached and runs in a Map: its task writes the digest of each
	// item's inputs for the state machine's lookups (docs/state-machine.md,
	// "Step caching").
	EnvCacheItems = "STEPFLOW_CACHE_ITEMS"

	// Recorded with the attempt when set (the AWS Batch container).
	EnvBatchJobID      = "AWS_BATCH_JOB_ID"
	EnvBatchJobAttempt = "AWS_BATCH_JOB_ATTEMPT"

	// EnvArrayOffset marks a child of an AWS Batch array job (a one-step
	// foreach body, docs/state-machine.md "Array jobs"): its task id is
	// this offset plus AWS Batch's EnvBatchArrayIndex, and its attempt
	// STEPFLOW_ATTEMPT plus the child's Batch retries
	// (EnvBatchJobAttempt - 1).
	EnvArrayOffset     = "STEPFLOW_ARRAY_OFFSET"
	EnvBatchArrayIndex = "AWS_BATCH_JOB_ARRAY_INDEX"

	// EnvCatchAttempts marks a job that catches its step's failure itself
	// (a one-step foreach body with a catch run as AWS Batch jobs,
	// docs/state-machine.md "Array jobs"): it is the job's AWS Batch
	// attempts (its retry strategy), and the attempt numbered so by
	// EnvBatchJobAttempt, when it fails, records the catch as a catch
	// handler would and the job exits 0. Its attempt is STEPFLOW_ATTEMPT
	// plus its Batch retries, as an array job's child's.
	EnvCatchAttempts = "STEPFLOW_CATCH_ATTEMPTS"

	// EnvHook turns the invocation into the run's exit hook (no step):
	// its value is how the run ended, as the state machine knows it
	// (HookStatuses). docs/state-machine.md, "Exit hook".
	EnvHook = "STEPFLOW_HOOK"
)

// HookStatuses are the values of EnvHook and --hook: how the run ended,
// in a local run's terms or as its Step Functions execution ended.
var HookStatuses = []string{"succeeded", "failed", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

// HookSucceeded reports whether a hook status (HookStatuses) is a run
// that succeeded.
func HookSucceeded(status string) bool { return status == "succeeded" || status == "SUCCEEDED" }

// ProductionPrefix begins a production token as users see it and the run
// tag naming a cloud run's production namespace: production:<token>. The
// start task writes the tag (the step command); deploy prints and parses
// the token with it.
const ProductionPrefix = "production:"

// Values of EnvCaptureLogs.
const (
	CaptureLogs      = "1"          // supervise the attempt (a Batch job)
	CaptureLogsChild = "supervised" // the supervised child: a cloud task
)

// MaxArgInputs is the longest joined input paths passed as an argument:
// Linux limits one argument to 128 KiB, so a wider join passes
// "--input-paths -" and its inputs on standard input.
const MaxArgInputs = 32 << 10

// Invocation is one `step` invocation: one attempt of one task.
type Invocation struct {
	Step    string
	RunID   string
	TaskID  string // empty: derived from Indices
	Indices []int  // foreach index stack, outermost first
	Attempt int    // 0 for the first try
	// Inputs are the parents' pathspecs run/step/task. nil means "derive
	// them from the graph and the datastore"; empty and not nil means "no
	// inputs" (--input-paths "").
	Inputs []string
	// Params and Configs create the run record of a cloud run's start
	// task: parameter name to value, config name to blob hash.
	Params  map[string]string
	Configs map[string]string
	// Trigger says what started the run, for the run record the start
	// task creates: the execution input's Trigger block
	// ({"type": "schedule"}, {"type": "event", "event": ..., "id": ...}).
	Trigger map[string]string
	// Caught, when not empty, records this failure in the step's catch
	// field instead of running the step. It is the failure's message
	// (--caught), or with CaughtIsName only the error name the state
	// machine caught (STEPFLOW_CAUGHT, --caught-name).
	Caught       string
	CaughtIsName bool
	// DatastoreRoot is the datastore root; empty means the child's
	// STEPFLOW_DATASTORE_ROOT, else the default.
	DatastoreRoot string
	// Definition is the fingerprint (flow.Flow.Fingerprint) of the
	// definition the runtime linted when the run started. The step
	// command refuses a binary whose definition has another, and
	// trusts the runtime's check instead of linting again. Empty: the
	// step command lints the definition itself.
	Definition string
	// CacheKey is the task's cache key when its step is cached: a
	// succeeded attempt records it and is stored in the flow's step cache
	// under it (docs/runtime.md, "Step caching"). Empty: not cached.
	CacheKey string
	// ArrayChild is set for a child of an AWS Batch array job
	// (EnvArrayOffset): a child whose task already succeeded in the run
	// (the array job was submitted again by a redrive) does not run again.
	ArrayChild bool
	// CatchLast is set for the last AWS Batch attempt of a job that
	// catches its step's failure itself (EnvCatchAttempts): when the
	// attempt fails, the job records the catch and succeeds.
	CatchLast bool
	// Hook, when set, runs the flow's exit hook for the run instead of a
	// step (Step is then empty): it is how the run ended, one of
	// HookStatuses.
	Hook string
}

func (inv Invocation) joinedInputs() string { return strings.Join(inv.Inputs, ",") }

// wide says the inputs go on standard input.
func (inv Invocation) wide() bool { return len(inv.joinedInputs()) > MaxArgInputs }

// Args are the arguments of the flow binary: "step", the step name and
// the flags. With inputs longer than MaxArgInputs, --input-paths is "-"
// and Stdin has them.
func (inv Invocation) Args() []string {
	if inv.Hook != "" {
		args := []string{"step", "--hook", inv.Hook, "--run-id", inv.RunID}
		if inv.DatastoreRoot != "" {
			args = append(args, "--datastore-root", inv.DatastoreRoot)
		}
		if inv.Definition != "" {
			args = append(args, "--definition", inv.Definition)
		}
		return args
	}
	args := []string{"step", inv.Step, "--run-id", inv.RunID}
	if inv.TaskID != "" {
		args = append(args, "--task-id", inv.TaskID)
	}
	if len(inv.Indices) > 0 {
		args = append(args, "--indices", FormatIndices(inv.Indices))
	}
	args = append(args, "--attempt", strconv.Itoa(inv.Attempt))
	if inv.Inputs != nil {
		v := inv.joinedInputs()
		if inv.wide() {
			v = "-"
		}
		args = append(args, "--input-paths", v)
	}
	if inv.Params != nil {
		args = append(args, "--params", mustJSON(inv.Params))
	}
	if inv.Configs != nil {
		args = append(args, "--configs", mustJSON(inv.Configs))
	}
	if inv.Trigger != nil {
		args = append(args, "--trigger", mustJSON(inv.Trigger))
	}
	if inv.Caught != "" {
		name := "--caught"
		if inv.CaughtIsName {
			name = "--caught-name"
		}
		args = append(args, name, inv.Caught)
	}
	if inv.DatastoreRoot != "" {
		args = append(args, "--datastore-root", inv.DatastoreRoot)
	}
	if inv.Definition != "" {
		args = append(args, "--definition", inv.Definition)
	}
	if inv.CacheKey != "" {
		args = append(args, "--cache-key", inv.CacheKey)
	}
	return args
}

// Stdin is what the invocation reads on standard input: the input paths
// of a wide join, else nil.
func (inv Invocation) Stdin() io.Reader {
	if inv.Inputs != nil && inv.wide() {
		return strings.NewReader(inv.joinedInputs())
	}
	return nil
}

// Env returns base without the contract variables that would change the
// meaning of Args in the child (a stray STEPFLOW_CAUGHT exported in a
// shell must not turn a local task into a catch): every per-task variable
// and STEPFLOW_CAPTURE_LOGS, and STEPFLOW_DATASTORE_ROOT when the
// invocation names a root. Append the child's own variables after it.
func (inv Invocation) Env(base []string) []string {
	drop := []string{EnvStep, EnvRunID, EnvTaskID, EnvAttempt, EnvInputPaths, EnvIndices,
		EnvParams, EnvConfigs, EnvTrigger, EnvCaught, EnvCaptureLogs, EnvDefinition, EnvCatchAttempts, EnvHook, EnvCacheKey}
	if inv.DatastoreRoot != "" {
		drop = append(drop, EnvDatastoreRoot)
	}
	out := make([]string, 0, len(base))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, d := range drop {
			if name == d {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// FormatIndices is the --indices form of a foreach index stack: "3,0,2".
func FormatIndices(idx []int) string {
	s := make([]string, len(idx))
	for i, n := range idx {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func mustJSON(v map[string]string) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return string(b)
}

// Flags are the step command's flags, before the fallback to the
// environment.
type Flags struct {
	runID, taskID, attempt, indices, params, configs, trigger, caught, caughtName, root, definition, hook, cacheKey string
	inputs                                                                                                          optString
}

// Register declares the flags of the step command on fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.runID, "run-id", "", "run id (env "+EnvRunID+")")
	fs.StringVar(&f.taskID, "task-id", "", "task id (env "+EnvTaskID+"; default: from --indices)")
	fs.StringVar(&f.attempt, "attempt", "", "attempt number, 0 for the first try (env "+EnvAttempt+")")
	fs.Var(&f.inputs, "input-paths", "parent pathspecs run/step/task, comma separated; - reads them from standard input (env "+EnvInputPaths+"; default: derived)")
	fs.StringVar(&f.indices, "indices", "", "foreach index stack, comma separated (env "+EnvIndices+")")
	fs.StringVar(&f.params, "params", "", "start step: JSON object of parameter values, to create the run record (env "+EnvParams+")")
	fs.StringVar(&f.configs, "configs", "", "start step: JSON object of config name to blob hash, for the run record it creates (env "+EnvConfigs+")")
	fs.StringVar(&f.trigger, "trigger", "", "start step: JSON object saying what started the run, for the run record it creates (env "+EnvTrigger+")")
	fs.StringVar(&f.caught, "caught", "", "record this failure message in the catch field instead of running the step")
	fs.StringVar(&f.caughtName, "caught-name", "", "like --caught, but only the error name: the message of the task's latest failed attempt is recorded (env "+EnvCaught+")")
	fs.StringVar(&f.root, "datastore-root", "", "datastore root: a directory or s3://bucket/prefix (env "+EnvDatastoreRoot+"; default ./.stepflow)")
	fs.StringVar(&f.hook, "hook", "", "run the flow's exit hook for the run instead of a step, telling it how the run ended: "+strings.Join(HookStatuses, ", ")+" (env "+EnvHook+")")
	fs.StringVar(&f.definition, "definition", "", "fingerprint of the flow definition the runtime checked: refuse to run another one, and skip checking it again (env "+EnvDefinition+")")
	fs.StringVar(&f.cacheKey, "cache-key", "", "the task's cache key (a cached step): a succeeded attempt is stored in the step cache under it (env "+EnvCacheKey+")")
}

// MaxInputPaths is the most --input-paths - reads from standard input,
// 64 MiB: a million parents' pathspecs of 64 bytes.
const MaxInputPaths = 64 << 20

// Invocation completes the parsed flags with the positional arguments (the
// step name), the environment (a flag wins over its variable) and, for
// --input-paths -, standard input. Bad input is a usage.Error.
func (f *Flags) Invocation(args []string, getenv func(string) string, stdin io.Reader) (Invocation, error) {
	or := func(v, name string) string {
		if v == "" {
			return getenv(name)
		}
		return v
	}
	var inv Invocation
	if len(args) > 1 {
		return inv, usage.Errorf("step takes one step name, got %q", args)
	}
	if len(args) == 1 {
		inv.Step = args[0]
	}
	inv.RunID = or(f.runID, EnvRunID)
	if inv.Hook = or(f.hook, EnvHook); inv.Hook != "" {
		return inv.hookInvocation(f, getenv)
	}
	inv.Step = or(inv.Step, EnvStep)
	if inv.Step == "" || inv.RunID == "" {
		return inv, usage.Errorf("step needs a step name and --run-id (or %s and %s)", EnvStep, EnvRunID)
	}
	// A run id is one datastore path element: "../x" or "a/b" would
	// leave the run's folder.
	if err := pathspec.CheckPart(inv.RunID); err != nil || strings.Contains(inv.RunID, "/") {
		return inv, usage.Errorf("--run-id %q is not a run id: it must be one name without '/', '\\', control characters or a leading '.' (the runtime passes the id of the run it started)", inv.RunID)
	}
	inv.TaskID = or(f.taskID, EnvTaskID)
	inv.DatastoreRoot = or(f.root, EnvDatastoreRoot)
	inv.Definition = or(f.definition, EnvDefinition)
	if inv.CacheKey = or(f.cacheKey, EnvCacheKey); inv.CacheKey != "" && (len(inv.CacheKey) != 64 || strings.Trim(inv.CacheKey, "0123456789abcdef") != "") {
		return inv, usage.Errorf("--cache-key %q is not a cache key; want 64 lowercase hex digits (a SHA-256)", inv.CacheKey)
	}
	if a := or(f.attempt, EnvAttempt); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			return inv, usage.Errorf("--attempt %q is not a non-negative integer", a)
		}
		inv.Attempt = n
	}
	if off := getenv(EnvArrayOffset); off != "" && f.taskID == "" {
		if err := inv.arrayChild(off, getenv, f.attempt == ""); err != nil {
			return inv, err
		}
	}
	if c := getenv(EnvCatchAttempts); c != "" {
		if err := inv.catchInJob(c, getenv, f.attempt == ""); err != nil {
			return inv, err
		}
	}
	var err error
	if inv.Indices, err = pathspec.ParseIndices(or(f.indices, EnvIndices)); err != nil {
		return inv, usage.Errorf("--indices: %v", err)
	}
	switch {
	case f.inputs.set:
		v := f.inputs.v
		if v == "-" {
			// A wide join's inputs do not fit on a command line.
			if stdin == nil {
				return inv, usage.Errorf("--input-paths -: no standard input")
			}
			data, err := readlimit.All(stdin, "--input-paths - (standard input)", MaxInputPaths)
			if errors.As(err, new(*readlimit.TooLargeError)) {
				return inv, usage.Errorf("%v; give the parents' pathspecs run/step/task separated by commas", err)
			}
			if err != nil {
				return inv, fmt.Errorf("read --input-paths from standard input: %w", err)
			}
			v = strings.TrimSpace(string(data))
		}
		inv.Inputs = []string{}
		for _, p := range strings.Split(v, ",") {
			if p != "" {
				inv.Inputs = append(inv.Inputs, p)
			}
		}
	case getenv(EnvInputPaths) != "":
		// An empty variable is unset: the inputs are derived.
		inv.Inputs = strings.Split(getenv(EnvInputPaths), ",")
	}
	if p := or(f.params, EnvParams); p != "" {
		if err := json.Unmarshal([]byte(p), &inv.Params); err != nil {
			return inv, usage.Errorf("--params is not a JSON object of strings: %v", err)
		}
	}
	if c := or(f.configs, EnvConfigs); c != "" {
		if err := json.Unmarshal([]byte(c), &inv.Configs); err != nil {
			return inv, usage.Errorf("--configs is not a JSON object of config name to blob hash: %v", err)
		}
	}
	if t := or(f.trigger, EnvTrigger); t != "" {
		if err := json.Unmarshal([]byte(t), &inv.Trigger); err != nil {
			return inv, usage.Errorf("--trigger is not a JSON object of strings: %v", err)
		}
	}
	// --caught is the message itself; --caught-name and STEPFLOW_CAUGHT
	// are the error name the state machine caught (States.TaskFailed).
	if f.caught != "" {
		inv.Caught = f.caught
	} else if n := or(f.caughtName, EnvCaught); n != "" {
		inv.Caught, inv.CaughtIsName = n, true
	}
	return inv, nil
}

// hookInvocation completes the invocation of an exit hook: a run id and
// a known status, no step.
func (inv Invocation) hookInvocation(f *Flags, getenv func(string) string) (Invocation, error) {
	if inv.Step != "" {
		return inv, usage.Errorf("step --hook runs the run's exit hook, not a step: give no step name (got %q)", inv.Step)
	}
	known := false
	for _, s := range HookStatuses {
		known = known || s == inv.Hook
	}
	if !known {
		return inv, usage.Errorf("--hook %q is not how a run ends; use one of %s", inv.Hook, strings.Join(HookStatuses, ", "))
	}
	if inv.RunID == "" {
		return inv, usage.Errorf("step --hook needs --run-id (or %s): the run whose exit hook to run", EnvRunID)
	}
	if err := pathspec.CheckPart(inv.RunID); err != nil || strings.Contains(inv.RunID, "/") {
		return inv, usage.Errorf("--run-id %q is not a run id: it must be one name without '/', '\\', control characters or a leading '.'", inv.RunID)
	}
	or := func(v, name string) string {
		if v == "" {
			return getenv(name)
		}
		return v
	}
	inv.DatastoreRoot = or(f.root, EnvDatastoreRoot)
	inv.Definition = or(f.definition, EnvDefinition)
	return inv, nil
}

// arrayChild sets the task id of an array job's child (and, unless the
// attempt was a flag, its attempt) from the offset and AWS Batch's
// variables.
func (inv *Invocation) arrayChild(offset string, getenv func(string) string, batchRetries bool) error {
	off, err := strconv.Atoi(offset)
	if err != nil || off < 0 {
		return usage.Errorf("%s=%q is not a task index; it is set by the state machine (step-functions create): redeploy the flow", EnvArrayOffset, offset)
	}
	idx, err := strconv.Atoi(getenv(EnvBatchArrayIndex))
	if err != nil || idx < 0 {
		return usage.Errorf("%s is set but %s is %q, not an array index: an array job's child runs in AWS Batch, which sets it", EnvArrayOffset, EnvBatchArrayIndex, getenv(EnvBatchArrayIndex))
	}
	inv.TaskID, inv.ArrayChild = strconv.Itoa(off+idx), true
	if n, err := strconv.Atoi(getenv(EnvBatchJobAttempt)); batchRetries && err == nil && n > 1 {
		inv.Attempt += n - 1
	}
	return nil
}

// catchInJob sets CatchLast on the last AWS Batch attempt of a job that
// catches its failure itself (attempts: EnvCatchAttempts), and (unless the
// attempt was a flag, or an array child's offset counted them already)
// adds the job's Batch retries to its attempt.
func (inv *Invocation) catchInJob(attempts string, getenv func(string) string, batchRetries bool) error {
	last, err := strconv.Atoi(attempts)
	if err != nil || last < 1 || last > 10 {
		return usage.Errorf("%s=%q is not a number of AWS Batch attempts (1 to 10); it is set by the state machine (step-functions create): redeploy the flow", EnvCatchAttempts, attempts)
	}
	n, err := strconv.Atoi(getenv(EnvBatchJobAttempt))
	if err != nil || n < 1 {
		return usage.Errorf("%s is set but %s is %q, not an attempt number: a job that catches its failure runs in AWS Batch, which sets it", EnvCatchAttempts, EnvBatchJobAttempt, getenv(EnvBatchJobAttempt))
	}
	inv.CatchLast = n >= last
	if batchRetries && !inv.ArrayChild && n > 1 {
		inv.Attempt += n - 1
	}
	return nil
}

// Parse parses the arguments of the step command (after "step": the step
// name and the flags, in any order), falling back to getenv for what they
// leave out and reading stdin for --input-paths -.
func Parse(args []string, getenv func(string) string, stdin io.Reader) (Invocation, error) {
	fs := flag.NewFlagSet("step", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f Flags
	f.Register(fs)
	if err := command.ParseFlags(fs, args); err != nil {
		return Invocation{}, err
	}
	return f.Invocation(fs.Args(), getenv, stdin)
}

// optString is a string flag that knows whether it was given, so that an
// explicitly empty --input-paths means "no inputs", not "derive them".
type optString struct {
	v   string
	set bool
}

func (o *optString) String() string { return o.v }

func (o *optString) Set(v string) error {
	o.v, o.set = v, true
	return nil
}
