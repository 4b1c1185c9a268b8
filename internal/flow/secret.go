package flow

import (
	"fmt"
	"slices"
	"strings"
)

// Secret is a secret a step reads through its Context (Context.Secret),
// never as an artifact: Name is how the step asks for it, ARN where AWS
// Secrets Manager keeps it. Locally the value comes from the environment
// variable SecretEnv(Name) or the run's secrets file.
type Secret struct {
	Name string
	ARN  string
}

// SecretEnvPrefix starts the environment variable that gives a secret's
// value to a local run.
const SecretEnvPrefix = "STEPFLOW_SECRET_"

// SecretEnv is the environment variable that holds the secret name on a
// local run: STEPFLOW_SECRET_ and the name in upper case ("db_password":
// STEPFLOW_SECRET_DB_PASSWORD).
func SecretEnv(name string) string { return SecretEnvPrefix + strings.ToUpper(name) }

// SecretOption declares a secret of a step.
type SecretOption Secret

// ApplyStep adds the secret to the step's.
func (o SecretOption) ApplyStep(s *Step) error {
	s.Options.Secrets = append(s.Options.Secrets, Secret(o))
	return nil
}

// Secrets adds a secret every step of the flow may read.
func (b *Builder[T]) Secrets(name, arn string) *Builder[T] {
	b.def.Secrets = append(b.def.Secrets, Secret{Name: name, ARN: arn})
	return b
}

// SecretsOf returns the secrets step s may read: the flow's, then the
// step's own, each name once (a step's own secret of the same name as
// the flow's is a lint error, and the step's wins here).
func (f *Flow) SecretsOf(s *Step) []Secret {
	out := slices.Clone(f.Secrets)
	for _, sec := range s.Options.Secrets {
		if i := slices.IndexFunc(out, func(o Secret) bool { return o.Name == sec.Name }); i >= 0 {
			out[i] = sec
			continue
		}
		out = append(out, sec)
	}
	return out
}

// SecretError is a secret that a task could not read. Its message names
// the secret and where it was looked for, never a value.
type SecretError struct {
	Name string
	ARN  string
	Err  error
}

func (e *SecretError) Error() string {
	return fmt.Sprintf("secret %s (%s): %v", e.Name, e.ARN, e.Err)
}

func (e *SecretError) Unwrap() error { return e.Err }
