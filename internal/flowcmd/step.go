package flowcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/inspect"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/taskcontract"
	"github.com/stepflow/stepflow/internal/usage"
)

// cmdStep is the task contract (docs/task-contract.md): run one attempt of
// one task. Every flag falls back to its STEPFLOW_* environment variable.
func cmdStep(f *Flow) *command.Command {
	var flags taskcontract.Flags
	return &command.Command{
		Name:      "step",
		UsageLine: "step STEP --run-id ID [--task-id ID] [--attempt N] [--input-paths P,...] [--datastore-root DIR]",
		Short:     "run one attempt of one task (the task contract)",
		Long: `Step runs exactly one attempt of one task: it loads the parents' states,
runs the step's function, saves the artifacts and writes the attempt record.
The local runtime and the AWS Batch container both run tasks this way; see
docs/task-contract.md. Each flag falls back to an environment variable
(STEPFLOW_RUN_ID, STEPFLOW_TASK_ID, STEPFLOW_ATTEMPT, STEPFLOW_INPUT_PATHS,
STEPFLOW_INDICES, STEPFLOW_PARAMS, STEPFLOW_CONFIGS, STEPFLOW_CAUGHT,
STEPFLOW_DATASTORE_ROOT).

With STEPFLOW_CAPTURE_LOGS=1 (set by the AWS Batch job definitions) the
attempt runs in a child process: its stdout and stderr are passed through
and saved with the attempt, a child that dies without a record (crash,
signal) gets a failed one, a successful foreach or switch task writes
its DynamoDB bookkeeping item (STEPFLOW_DYNAMODB_TABLE), the start task
tags the run record it creates production:<token>
(STEPFLOW_PRODUCTION_TOKEN), and a successful end task writes the run's
end record.

With --hook STATUS (STEPFLOW_HOOK, set by the state machine's hook task)
and no step name, it runs the flow's exit hook for the run instead, telling
it how the run ended (succeeded, failed, or the execution's SUCCEEDED,
FAILED, TIMED_OUT, ABORTED), and records it with the run; a failing hook
is recorded and the command still exits 0.

Exit status: 0 when the attempt succeeded or its failure was caught, 1 when
the step failed, 2 on bad input.`,
		Flags: flags.Register,
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			stdin := env.Stdin
			if stdin == nil {
				stdin = os.Stdin
			}
			inv, err := flags.Invocation(args, env.Getenv, stdin)
			if err != nil {
				return err
			}
			if inv.Hook != "" {
				return stepHook(ctx, env, f, inv)
			}
			g, err := f.TaskGraph(inv.Definition)
			if err != nil {
				return err
			}
			spec := task.SpecOf(inv)
			if id := env.Getenv(taskcontract.EnvBatchJobID); id != "" {
				spec.Env = map[string]string{taskcontract.EnvBatchJobID: id,
					taskcontract.EnvBatchJobAttempt: env.Getenv(taskcontract.EnvBatchJobAttempt)}
			}
			ds := datastoreFlags{root: inspect.Root{Dir: inv.DatastoreRoot}}
			store, err := ds.open(ctx, env, f.Def.Name)
			if err != nil {
				return err
			}
			if inv.ArrayChild && env.Getenv(taskcontract.EnvCaptureLogs) == taskcontract.CaptureLogs {
				// A redrive submits a failed array job again, every child
				// with it: a child whose task already succeeded in this run
				// does not run again, so only the failed children do.
				if a, ok, err := store.Attempts().Succeeded(ctx, inv.RunID, inv.Step, inv.TaskID); err != nil {
					return fmt.Errorf("step %s/%s: read its attempts: %w", inv.Step, inv.TaskID, err)
				} else if ok {
					fmt.Fprintf(env.Stdout, "task %s/%s/%s already succeeded (attempt %d): not run again\n", inv.RunID, inv.Step, inv.TaskID, a.Attempt)
					return nil
				}
			}
			ex := &task.Executor{Flow: f.Def, Graph: g, Store: store, Out: env.Stdout}
			switch env.Getenv(taskcontract.EnvCaptureLogs) {
			case taskcontract.CaptureLogs:
				// No parent runtime (AWS Batch): run the attempt in a child
				// process and keep its output and its crashes.
				inv.DatastoreRoot = ds.resolved()
				err := superviseStep(ctx, env, ex, spec, inv)
				var failed *command.FailedError
				if !inv.CatchLast || !errors.As(err, &failed) {
					return err
				}
				// The last attempt of a job that catches its step's
				// failure itself failed: record the catch as the state
				// machine's catch handler does (the failure's message,
				// numbered after it), and succeed.
				fmt.Fprintf(env.Stdout, "task %s/%s/%s failed its last attempt: recording the catch\n", inv.RunID, inv.Step, inv.TaskID)
				inv.Caught, inv.CaughtIsName = caughtError, true
				caught := task.SpecOf(inv)
				caught.Env = spec.Env
				return superviseStep(ctx, env, ex, caught, inv)
			case taskcontract.CaptureLogsChild:
				// A task of a cloud run: the state machine reads the
				// bookkeeping item. (A local run never writes one, even
				// with STEPFLOW_DYNAMODB_TABLE exported for deploys.)
				if ex.Bookkeeper, err = bookkeeper(ctx, env.Getenv); err != nil {
					return usage.Wrap(err)
				}
				// Its secrets come from AWS Secrets Manager.
				ex.Secrets = cloudSecrets(env.Getenv)
				// The deployment's production namespace, on the run
				// record the start task creates.
				if tok := env.Getenv(taskcontract.EnvProductionToken); tok != "" {
					spec.Tags = []string{taskcontract.ProductionPrefix + tok}
				}
				// A foreach whose body's first step is cached, per item.
				ex.CacheItems = env.Getenv(taskcontract.EnvCacheItems) != ""
				// A nested foreach compiled to one INLINE Map.
				if v := env.Getenv(taskcontract.EnvForeachLimit); v != "" {
					if ex.ForeachLimit, err = strconv.Atoi(v); err != nil || ex.ForeachLimit < 0 {
						return usage.Errorf("%s=%q is not a number of items; it is set by the state machine (step-functions create): redeploy the flow", taskcontract.EnvForeachLimit, v)
					}
				}
			}
			rec, err := ex.Run(ctx, spec)
			switch {
			case err != nil: // bad input is a *usage.Error (exit 2)
				return err
			case rec.Status != datastore.StatusSucceeded:
				fmt.Fprintf(env.Stderr, "%s\n", rec.Error)
				return &command.FailedError{}
			}
			return nil
		},
	}
}

// caughtError is the error a job that catches its failure itself records
// it as: what Step Functions reports for a failed AWS Batch job, and what
// a catch handler's STEPFLOW_CAUGHT then names. The task records the
// message of the failed attempt (task.Executor.ResolveCaught).
const caughtError = "States.TaskFailed"

// optString is a string flag that knows whether it was given.
type optString struct {
	v   string
	set bool
}

func (o *optString) String() string { return o.v }

func (o *optString) Set(v string) error {
	o.v, o.set = v, true
	return nil
}
