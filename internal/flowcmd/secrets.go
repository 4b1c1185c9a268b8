package flowcmd

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/usage"
)

// checkSecrets makes sure, before a local run starts, that every secret
// the flow declares has a value in the environment or in the secrets file
// (run --secrets-file), so that a missing one is bad input now rather
// than a task failing later. It returns the file's absolute path, which
// the tasks get. Its messages name secrets, never values.
func checkSecrets(ctx context.Context, env *command.Env, def *flow.Flow, file string) (string, error) {
	if file != "" {
		abs, err := filepath.Abs(file)
		if err != nil {
			return "", usage.Errorf("--secrets-file %s: %v", file, err)
		}
		file = abs
		if _, err := task.ReadSecretsFile(file); err != nil {
			return "", usage.Errorf("--secrets-file: %v", err)
		}
	}
	getenv := func(k string) string {
		if k == task.EnvSecretsFile {
			return file
		}
		return env.Getenv(k)
	}
	if _, err := (task.LocalSecrets{Getenv: getenv}).Secrets(ctx, declaredSecrets(def)); err != nil {
		return "", usage.Errorf("flow %s: %v", def.Name, err)
	}
	return file, nil
}

// declaredSecrets lists every secret of the flow, each name and ARN once.
func declaredSecrets(def *flow.Flow) []flow.Secret {
	var out []flow.Secret
	for _, s := range def.Steps {
		for _, sec := range def.SecretsOf(s) {
			if !slices.Contains(out, sec) {
				out = append(out, sec)
			}
		}
	}
	return out
}

// cloudSecrets is the secret source of a task of a cloud run, from the
// registered extensions; in a build without one, a source that fails
// with the fix (a step without secrets never asks it).
func cloudSecrets(getenv func(string) string) task.SecretSource {
	for _, e := range registered() {
		if e.Secrets != nil {
			return e.Secrets(getenv)
		}
	}
	return noCloudSecrets{}
}

// noCloudSecrets is the secret source of a cloud task whose build cannot
// reach AWS Secrets Manager.
type noCloudSecrets struct{}

func (noCloudSecrets) Secrets(ctx context.Context, secrets []flow.Secret) (map[string]string, error) {
	return nil, usage.Errorf("this task belongs to a run on AWS Step Functions, and this build of the flow cannot read AWS Secrets Manager; deploy the image that 'step-functions create' builds (with -tags %s)", AWSBuildTag)
}
