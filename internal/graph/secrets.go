package graph

import (
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
)

// secretName is a secret's name: it becomes part of the environment
// variable of a local run (flow.SecretEnv), so letters, digits and
// underscores.
var secretName = namePattern{first: "A-Za-z", rest: "A-Za-z0-9_"} // ^[A-Za-z][A-Za-z0-9_]*$

// isSecretARN reports whether arn is the ARN of an AWS Secrets Manager
// secret, arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME, or of
// an AWS Systems Manager Parameter Store parameter,
// arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME (by hand: a flow binary
// does not link regexp).
func isSecretARN(arn string) bool {
	p := strings.SplitN(arn, ":", 7)
	if len(p) < 6 || p[0] != "arn" || !strings.HasPrefix(p[1], "aws") {
		return false
	}
	region := namePattern{first: "a-z", rest: "a-z0-9-"}
	account := namePattern{first: "0-9", rest: "0-9"}
	if !region.MatchString(p[3]) || len(p[4]) != 12 || !account.MatchString(p[4]) {
		return false
	}
	switch {
	case len(p) == 7 && p[2] == "secretsmanager" && p[5] == "secret":
		name := namePattern{first: "A-Za-z0-9/_+=.@!-", rest: "A-Za-z0-9/_+=.@!-"}
		return name.MatchString(p[6])
	case len(p) == 6 && p[2] == "ssm" && strings.HasPrefix(p[5], "parameter/"):
		name := namePattern{first: "A-Za-z0-9_.-", rest: "A-Za-z0-9/_.-"}
		return name.MatchString(strings.TrimPrefix(p[5], "parameter/"))
	}
	return false
}

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
	if !isSecretARN(s.ARN) {
		l.add(step, "secret-arn", "give the secret's ARN as AWS Secrets Manager shows it, arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, or a Parameter Store parameter's, arn:aws:ssm:REGION:ACCOUNT:parameter/NAME",
			"secret %q has ARN %q, which is not the ARN of an AWS Secrets Manager secret or an AWS Systems Manager parameter", s.Name, s.ARN)
	}
}
