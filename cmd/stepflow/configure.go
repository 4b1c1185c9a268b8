package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stepflow/stepflow/internal/aws/settings"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/readlimit"
	"github.com/stepflow/stepflow/internal/usage"
)

// configureStdin is where configure reads the answers (tests replace it).
var configureStdin io.Reader = os.Stdin

// prompts are the settings "configure aws" asks for, in order, with what
// each is for. Every other setting (the endpoint overrides, partition,
// code URL, branch, name prefix) can still be written with --set.
var prompts = []struct{ key, what string }{
	{"region", "AWS region, e.g. us-east-1"},
	{"datastore_root", "S3 datastore root, s3://bucket/prefix"},
	{"batch_queue", "AWS Batch job queue (name or ARN)"},
	{"image_repository", "ECR repository URI create pushes the flow images to"},
	{"batch_job_role", "IAM role ARN the tasks run as"},
	{"batch_execution_role", "IAM role ARN of ECS (Fargate only; empty for EC2)"},
	{"sfn_role", "IAM role ARN the state machines run as"},
	{"scheduler_role", "IAM role ARN EventBridge Scheduler starts scheduled runs with"},
	{"dynamodb_table", "DynamoDB table for foreach and switch bookkeeping"},
	{"sfn_log_group_arn", "CloudWatch Logs group ARN for --log-execution-history (optional)"},
	{"dead_letter_queue", "SQS queue ARN that keeps the starts schedules and event rules could not make (optional)"},
}

func cmdConfigure() *command.Command {
	var outputs string
	var sets multi
	aws := &command.Command{
		Name:      "aws",
		UsageLine: "aws [--from-outputs FILE] [--set KEY=VALUE ...]",
		Short:     "write the AWS settings of step-functions commands",
		Long: `Configure aws writes the AWS settings that the step-functions commands of every
flow binary read to the JSON config file ($STEPFLOW_CONFIG, else
~/.stepflow/config.json). It asks for each setting on standard input, showing
the current value in brackets: an empty answer keeps it, "-" removes it.

--from-outputs FILE takes the values from the outputs of the CloudFormation
stack of deploy/cloudformation/stepflow.yaml (the JSON that 'aws cloudformation
describe-stacks --query Stacks[0].Outputs' prints) and asks nothing; --set
KEY=VALUE sets one key (any config key, e.g. sfn_endpoint) and asks nothing.
Environment variables (STEPFLOW_*) and flags still override the file.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&outputs, "from-outputs", "", "CloudFormation stack outputs (JSON) to take the values from")
			fs.Var(&sets, "set", "set KEY=VALUE without asking (repeatable)")
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("configure aws takes no arguments, got %q", args)
			}
			return configureAWS(env, outputs, sets)
		},
	}
	return &command.Command{Name: "configure", Short: "write the configuration file", Commands: []*command.Command{aws}}
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func configureAWS(env *command.Env, outputs string, sets []string) error {
	path := settings.ConfigPath(env.Getenv)
	if path == "" {
		return usage.Errorf("no place for the config file: set STEPFLOW_CONFIG or HOME")
	}
	cfg := map[string]any{}
	data, err := settings.ReadFile(path)
	switch {
	case errors.As(err, new(*readlimit.TooLargeError)):
		return usage.Errorf("config file: %v; it holds a few settings: fix or remove it", err)
	case err == nil:
		if err := json.Unmarshal(data, &cfg); err != nil {
			return usage.Errorf("config file %s is not a JSON object: %v; fix or remove it", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	known := map[string]bool{}
	for _, s := range statemachine.SettingInfos() {
		known[s.Key] = true
	}
	set := func(k, v string) error {
		if !known[k] {
			var keys []string
			for k := range known {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return usage.Errorf("%q is not a setting; known keys: %s", k, strings.Join(keys, ", "))
		}
		if err := checkSetting(k, v); err != nil {
			return usage.Wrap(err)
		}
		if v == "" {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
		return nil
	}
	switch {
	case outputs != "" || len(sets) > 0:
		if outputs != "" {
			vals, err := stackOutputs(outputs)
			if err != nil {
				return err
			}
			for _, k := range sortedKeys(vals) {
				if err := set(k, vals[k]); err != nil {
					return err
				}
			}
		}
		for _, kv := range sets {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return usage.Errorf("--set %q: write KEY=VALUE", kv)
			}
			if err := set(k, v); err != nil {
				return err
			}
		}
	default:
		in := bufio.NewScanner(configureStdin)
		for _, p := range prompts {
			cur, _ := cfg[p.key].(string)
			for {
				fmt.Fprintf(env.Stdout, "%s (%s) [%s]: ", p.key, p.what, cur)
				if !in.Scan() {
					fmt.Fprintln(env.Stdout)
					return usage.Errorf("configure aws: input ended before %s was answered; nothing written", p.key)
				}
				ans := strings.TrimSpace(in.Text())
				if ans == "" {
					ans = cur
				} else if ans == "-" {
					ans = ""
				}
				if err := set(p.key, ans); err != nil {
					fmt.Fprintf(env.Stdout, "%v; try again\n", err)
					continue
				}
				break
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	out, _ := json.MarshalIndent(cfg, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(out, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s\n", path)
	return nil
}

// checkSetting refuses values that cannot be right.
func checkSetting(k, v string) error {
	switch {
	case v == "":
	case k == "datastore_root" && (!strings.HasPrefix(v, "s3://") || len(v) == len("s3://")):
		return fmt.Errorf("%s %q is not an S3 URL; write s3://bucket/prefix", k, v)
	case strings.HasSuffix(k, "_role") || k == "sfn_log_group_arn":
		if !strings.HasPrefix(v, "arn:") {
			return fmt.Errorf("%s %q is not an ARN; write arn:aws:...", k, v)
		}
	case k == "dead_letter_queue":
		if f := strings.Split(v, ":"); len(f) != 6 || f[0] != "arn" || f[2] != "sqs" {
			return fmt.Errorf("%s %q is not the ARN of an SQS queue; write arn:aws:sqs:REGION:ACCOUNT:NAME (the stack's output DeadLetterQueue)", k, v)
		}
	case strings.HasSuffix(k, "_endpoint") && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://"):
		return fmt.Errorf("%s %q is not an http(s) URL", k, v)
	}
	return nil
}

// stackOutputs reads CloudFormation outputs [{OutputKey, OutputValue}]
// and maps each key to a config key (settings.OutputKey). Outputs that are
// not settings are ignored.
func stackOutputs(file string) (map[string]string, error) {
	data, err := settings.ReadFile(file)
	if err != nil {
		return nil, usage.Errorf("--from-outputs: %v; give the JSON file of the stack's outputs (aws cloudformation describe-stacks --query Stacks[0].Outputs)", err)
	}
	var outs []struct{ OutputKey, OutputValue string }
	if err := json.Unmarshal(data, &outs); err != nil {
		return nil, usage.Errorf("--from-outputs %s: not the JSON list of stack outputs (aws cloudformation describe-stacks --query Stacks[0].Outputs): %v", file, err)
	}
	vals := map[string]string{}
	for _, o := range outs {
		if k, ok := settings.OutputKey(o.OutputKey); ok {
			vals[k] = o.OutputValue
		}
	}
	if len(vals) == 0 {
		return nil, usage.Errorf("--from-outputs %s: no output names a setting (DatastoreRoot, BatchQueue, SfnRole, ...)", file)
	}
	return vals, nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
