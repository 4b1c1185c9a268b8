package stepflowtest

import (
	"context"
	"fmt"

	"github.com/stepflow/stepflow/internal/flow"
)

// Secret gives the test Context a secret (Context.Secret(name) returns
// value), as stepflow.Secrets and the task's fetch would.
func Secret(name, value string) ContextOption {
	return contextOption(func(s *contextSettings) {
		if s.values == nil {
			s.values = map[string]string{}
		}
		s.secrets = append(s.secrets, flow.Secret{Name: name, ARN: "(test)"})
		s.values[name] = value
	})
}

// Secrets gives the run the values of the flow's secrets by name
// (stepflow.Secrets), instead of the environment variables a local run
// reads (STEPFLOW_SECRET_<NAME>). A secret it does not give fails the
// tasks that read it.
type Secrets map[string]string

func (v Secrets) apply(s *settings) {
	if s.secrets == nil {
		s.secrets = map[string]string{}
	}
	for k, x := range v {
		s.secrets[k] = x
	}
}

// givenSecrets is the secret source of a run with Secrets.
type givenSecrets map[string]string

func (g givenSecrets) Secrets(ctx context.Context, secrets []flow.Secret) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range secrets {
		v, ok := g[s.Name]
		if !ok {
			return nil, &flow.SecretError{Name: s.Name, ARN: s.ARN, Err: fmt.Errorf("the test gives no value for it; add it to the run's options: stepflowtest.Secrets{%q: VALUE}", s.Name)}
		}
		out[s.Name] = v
	}
	return out, nil
}
