package flowcmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/usage"
)

// cmdStep is the task contract (docs/task-contract.md): run one attempt of
// one task. Every flag falls back to its STEPFLOW_* environment variable.
func cmdStep(f *Flow) *command.Command {
	var runID, taskID, attempt, indices, params, configs, caught string
	var inputs optString
	var ds datastoreFlags
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

Exit status: 0 when the attempt succeeded or its failure was caught, 1 when
the step failed, 2 on bad input.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&runID, "run-id", "", "run id")
			fs.StringVar(&taskID, "task-id", "", "task id (default: from --indices)")
			fs.StringVar(&attempt, "attempt", "", "attempt number, 0 for the first try")
			fs.Var(&inputs, "input-paths", "parent pathspecs run/step/task, comma separated; - reads them from standard input (default: derived)")
			fs.StringVar(&indices, "indices", "", "foreach index stack, comma separated")
			fs.StringVar(&params, "params", "", "start step: JSON object of parameter values, to create the run record")
			fs.StringVar(&configs, "configs", "", "start step: JSON object of config name to blob hash, for the run record it creates")
			fs.StringVar(&caught, "caught", "", "record this failure in the catch field instead of running the step")
			ds.register(fs)
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			g, err := f.Graph()
			if err != nil {
				return err
			}
			fromEnv := func(v *string, name string) {
				if *v == "" {
					*v = env.Getenv(name)
				}
			}
			step := ""
			if len(args) > 0 {
				step = args[0]
			}
			caughtFlag := caught
			fromEnv(&step, "STEPFLOW_STEP")
			fromEnv(&runID, "STEPFLOW_RUN_ID")
			fromEnv(&taskID, "STEPFLOW_TASK_ID")
			fromEnv(&attempt, "STEPFLOW_ATTEMPT")
			fromEnv(&indices, "STEPFLOW_INDICES")
			fromEnv(&params, "STEPFLOW_PARAMS")
			fromEnv(&configs, "STEPFLOW_CONFIGS")
			fromEnv(&caught, "STEPFLOW_CAUGHT")
			if len(args) > 1 {
				return usage.Errorf("step takes one step name, got %q", args)
			}
			if step == "" || runID == "" {
				return usage.Errorf("step needs a step name and --run-id (or STEPFLOW_STEP and STEPFLOW_RUN_ID)")
			}
			// STEPFLOW_CAUGHT is the error name the state machine caught
			// (States.TaskFailed); --caught is the message itself.
			spec := task.Spec{RunID: runID, Step: step, TaskID: taskID, Caught: caught, CaughtIsName: caughtFlag == "" && caught != ""}
			if attempt != "" {
				n, err := strconv.Atoi(attempt)
				if err != nil || n < 0 {
					return usage.Errorf("--attempt %q is not a non-negative integer", attempt)
				}
				spec.Attempt = n
			}
			if spec.Indices, err = pathspec.ParseIndices(indices); err != nil {
				return usage.Errorf("--indices: %v", err)
			}
			if inputs.set {
				if inputs.v == "-" {
					// A wide join's inputs do not fit on a command line.
					data, err := io.ReadAll(os.Stdin)
					if err != nil {
						return fmt.Errorf("read --input-paths from standard input: %w", err)
					}
					inputs.v = strings.TrimSpace(string(data))
				}
				spec.Inputs = []string{}
				for _, p := range strings.Split(inputs.v, ",") {
					if p != "" {
						spec.Inputs = append(spec.Inputs, p)
					}
				}
			} else if v, ok := lookupEnv(env, "STEPFLOW_INPUT_PATHS"); ok && v != "" {
				spec.Inputs = strings.Split(v, ",")
			}
			if params != "" {
				if err := json.Unmarshal([]byte(params), &spec.Params); err != nil {
					return usage.Errorf("--params is not a JSON object of strings: %v", err)
				}
			}
			if configs != "" {
				if err := json.Unmarshal([]byte(configs), &spec.Configs); err != nil {
					return usage.Errorf("--configs is not a JSON object of config name to blob hash: %v", err)
				}
			}
			if id := env.Getenv("AWS_BATCH_JOB_ID"); id != "" {
				spec.Env = map[string]string{"AWS_BATCH_JOB_ID": id, "AWS_BATCH_JOB_ATTEMPT": env.Getenv("AWS_BATCH_JOB_ATTEMPT")}
			}
			store, err := ds.open(ctx, env, f.Def.Name)
			if err != nil {
				return err
			}
			ex := &task.Executor{Flow: f.Def, Graph: g, Store: store, Out: env.Stdout}
			switch env.Getenv(EnvCaptureLogs) {
			case "1":
				// No parent runtime (AWS Batch): run the attempt in a child
				// process and keep its output and its crashes.
				return superviseStep(ctx, env, ex, spec, childStepArgs(spec, indices, inputs, caughtFlag, params, configs, ds.resolved(env)))
			case supervisedChild:
				// A task of a cloud run: the state machine reads the
				// bookkeeping item. (A local run never writes one, even
				// with STEPFLOW_DYNAMODB_TABLE exported for deploys.)
				if ex.Bookkeeper, err = bookkeeper(ctx, env.Getenv); err != nil {
					return usage.Wrap(err)
				}
				// The deployment's production namespace, on the run
				// record the start task creates.
				if tok := env.Getenv(statemachine.EnvProductionToken); tok != "" {
					spec.Tags = []string{ProductionTagPrefix + tok}
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

// ProductionTagPrefix begins the run tag naming a cloud run's production
// namespace: production:<token>.
const ProductionTagPrefix = statemachine.ProductionPrefix

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

func lookupEnv(env *command.Env, name string) (string, bool) {
	v := env.Getenv(name)
	return v, v != ""
}
