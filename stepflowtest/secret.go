package stepflowtest

import "github.com/stepflow/stepflow/internal/flow"

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
