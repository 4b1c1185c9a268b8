package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/stepflow/stepflow/internal/flow"
)

// EnvSecretsFile names the JSON file of secret values of a local run
// (run --secrets-file), which the runtime passes to its task processes.
const EnvSecretsFile = "STEPFLOW_SECRETS_FILE"

// SecretSource fetches the values of a task's secrets when it starts. Its
// errors name secrets and where they were looked for, never a value.
type SecretSource interface {
	Secrets(ctx context.Context, secrets []flow.Secret) (map[string]string, error)
}

// LocalSecrets is the secret source of a local run: the environment
// variable flow.SecretEnv(name), else the key name of the JSON object in
// the file EnvSecretsFile names.
type LocalSecrets struct {
	Getenv func(string) string // nil: os.Getenv
}

// Secrets returns the value of each secret, or an error naming the first
// one that has none.
func (l LocalSecrets) Secrets(ctx context.Context, secrets []flow.Secret) (map[string]string, error) {
	getenv := l.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	out := make(map[string]string, len(secrets))
	var file map[string]string
	path := getenv(EnvSecretsFile)
	for _, s := range secrets {
		if v, ok := lookupEnv(getenv, flow.SecretEnv(s.Name)); ok {
			out[s.Name] = v
			continue
		}
		if path != "" && file == nil {
			var err error
			if file, err = ReadSecretsFile(path); err != nil {
				return nil, err
			}
		}
		if v, ok := file[s.Name]; ok {
			out[s.Name] = v
			continue
		}
		where := "and no secrets file was given"
		if path != "" {
			where = fmt.Sprintf("and the secrets file %s has no key %q", path, s.Name)
		}
		return nil, &flow.SecretError{Name: s.Name, ARN: s.ARN, Err: fmt.Errorf("a local run has no value for it: %s is not set %s; export %s=VALUE, or run with --secrets-file FILE, a JSON object with the key %q",
			flow.SecretEnv(s.Name), where, flow.SecretEnv(s.Name), s.Name)}
	}
	return out, nil
}

// lookupEnv returns the variable k; an empty one counts as unset.
func lookupEnv(getenv func(string) string, k string) (string, bool) {
	v := getenv(k)
	return v, v != ""
}

// ReadSecretsFile reads a JSON object of secret names to string values.
// Its errors never quote the file's content.
func ReadSecretsFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets file: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		// A syntax error's message may quote a character, a type error's
		// the value's kind: say only where it is.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("secrets file %s is not valid JSON (at byte %d); write one object of secret names to string values, {\"db\": \"...\"}", path, se.Offset)
		}
		return nil, fmt.Errorf("secrets file %s is not a JSON object of secret names to string values; write {\"db\": \"...\"}", path)
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

// fetchSecrets fetches the secrets of the task's step into c; a failure
// fails the attempt before the step runs.
func (e *Executor) fetchSecrets(ctx context.Context, s *flow.Step, c *flow.Context) error {
	declared := e.Flow.SecretsOf(s)
	if len(declared) == 0 {
		return nil
	}
	src := e.Secrets
	if src == nil {
		src = LocalSecrets{}
	}
	values, err := src.Secrets(ctx, declared)
	if err != nil {
		return fmt.Errorf("step %s: read its secrets: %w", s.Name, err)
	}
	c.SetSecrets(declared, values)
	return nil
}
