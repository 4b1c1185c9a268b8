package graph

import (
	"regexp"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
)

// secretName is a secret's name: it becomes part of the environment
// variable of a local run (flow.SecretEnv), so letters, digits and
// underscores.
var secretName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// secretARN is the ARN of an AWS Secrets Manager secret:
// arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME.
var secretARN = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+$`)

// secrets checks the flow's secrets and each step's: valid names and
// ARNs, and no name twice where one step could read both (names are
// compared without case, as their environment variables are).
func (l *linter) secrets() {
	flowSeen := map[string]bool{}
	for _, s := range l.f.Secrets {
		l.secret("", s, flowSeen)
	}
	for _, st := range l.f.Steps {
		seen := map[string]bool{}
		for k := range flowSeen {
			seen[k] = true
		}
		for _, s := range st.Options.Secrets {
			l.secret(st.Name, s, seen)
		}
	}
}

func (l *linter) secret(step string, s flow.Secret, seen map[string]bool) {
	if !secretName.MatchString(s.Name) {
		l.add(step, "secret-name", "use letters, digits and underscores, starting with a letter (it names the variable STEPFLOW_SECRET_<NAME> of a local run)",
			"secret name %q is not valid", s.Name)
		return
	}
	key := strings.ToUpper(s.Name)
	if seen[key] {
		l.add(step, "secret-twice", "declare each secret once, on the flow or on the step, with names that differ in more than case",
			"secret %q is declared twice for this step (on the flow and the step, or twice; names are compared without case, as STEPFLOW_SECRET_%s is)", s.Name, key)
	}
	seen[key] = true
	if !secretARN.MatchString(s.ARN) {
		l.add(step, "secret-arn", "give the secret's ARN as AWS Secrets Manager shows it, arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME",
			"secret %q has ARN %q, which is not the ARN of an AWS Secrets Manager secret", s.Name, s.ARN)
	}
}
