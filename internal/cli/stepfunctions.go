package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/stepflow/stepflow/internal/aws/batch"
	"github.com/stepflow/stepflow/internal/aws/sfn"
)

// cmdStepFunctions is the step-functions command group: compile (and
// later deploy and operate) the flow on AWS Step Functions + AWS Batch.
func cmdStepFunctions() *Command {
	return &Command{
		Name:     "step-functions",
		Short:    "compile the flow for AWS Step Functions and AWS Batch",
		Commands: []*Command{cmdSFNCreate()},
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

func cmdSFNCreate() *Command {
	var onlyJSON bool
	var outDir string
	var flags sfn.Settings
	return &Command{
		Name:      "create",
		UsageLine: "create --only-json [--output-dir DIR] [--workflow-timeout 48h] [--max-workers N] [--distributed-map] [settings flags]",
		Short:     "compile the flow to a state machine and Batch job definitions",
		Long: `Create compiles the flow to an Amazon States Language definition, the AWS
Batch job definitions its steps run as, and its schedule. With --only-json it
prints the definition (or, with --output-dir, writes state-machine.json,
job-definitions.json and schedule.json there) and calls no AWS API.

Settings come from the flags, else STEPFLOW_* environment variables, else the
JSON config file ($STEPFLOW_CONFIG or ~/.stepflow/config.json). Every missing
setting the flow needs is named in one message. The state machine's shape and
the contract with the task are in docs/state-machine.md.`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&onlyJSON, "only-json", false, "compile only: print (or write) the JSON, call no AWS API")
			fs.StringVar(&outDir, "output-dir", "", "write state-machine.json, job-definitions.json and schedule.json to this directory")
			fs.Var(durationOrSeconds{&flags.WorkflowTimeout}, "workflow-timeout", "execution timeout (48h, or seconds); also the lifetime of bookkeeping items")
			fs.IntVar(&flags.MaxWorkers, "max-workers", 0, fmt.Sprintf("MaxConcurrency of every foreach Map (default %d)", sfn.DefaultMaxWorkers))
			fs.BoolVar(&flags.DistributedMap, "distributed-map", false, "run every foreach as a DISTRIBUTED Map (child executions)")
			for _, s := range sfn.SettingFlags() {
				fs.StringVar(flags.Field(s[0]), s[0], "", fmt.Sprintf("setting %s (env %s)", s[1], s[2]))
			}
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 0 {
				return Usagef("step-functions create takes no arguments, got %q", args)
			}
			if !onlyJSON {
				return Usagef("deploying is not built yet; use --only-json to compile the flow without deploying it")
			}
			g, err := env.Graph()
			if err != nil {
				return err
			}
			s, err := sfn.Load(flags, env.Getenv, os.ReadFile)
			if err != nil {
				return &UsageError{Err: err}
			}
			res, err := sfn.Compile(g, s)
			if err != nil {
				// Every compile error is a problem of the flow or its
				// settings, which the user fixes.
				return &UsageError{Err: err}
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(env.Stderr, "%s: warning: %s\n", env.Args0, w)
			}
			if outDir == "" {
				_, err := env.Stdout.Write(res.Definition)
				return err
			}
			return writeCompiled(outDir, res)
		},
	}
}

// writeCompiled writes the compiled files to dir, each atomically.
func writeCompiled(dir string, res *sfn.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	jds, err := batch.Marshal(res.JobDefinitions)
	if err != nil {
		return err
	}
	files := map[string][]byte{"state-machine.json": res.Definition, "job-definitions.json": jds}
	if res.Schedule != nil {
		if files["schedule.json"], err = batch.Marshal(res.Schedule); err != nil {
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
