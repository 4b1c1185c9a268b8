package awssecrets

import (
	"encoding/json"
	"slices"

	"github.com/stepflow/stepflow/internal/flow"
)

// Statement is the IAM policy statement that lets a job role read the
// secrets arns: secretsmanager:GetSecretValue on each Secrets Manager
// secret, ssm:GetParameter on each Parameter Store parameter (two
// statements, as a JSON array, when the ARNs are of both). An ARN as
// stepflow.Secrets takes it may be a secret's full ARN (with the six
// characters AWS appends to its name) or a partial one; the statement
// grants the ARN as given and, for a partial one, its full forms
// (ARN-??????), which is what AWS authorizes the call on. A parameter is
// authorized on its ARN.
func Statement(arns []string) string {
	var secrets, params []string
	for _, a := range arns {
		if IsParameter(a) {
			if !slices.Contains(params, a) {
				params = append(params, a)
			}
			continue
		}
		for _, r := range Resources(a) {
			if !slices.Contains(secrets, r) {
				secrets = append(secrets, r)
			}
		}
	}
	type statement struct {
		Action   string
		Effect   string
		Resource any
	}
	one := func(action string, res []string) statement {
		st := statement{Action: action, Effect: "Allow", Resource: res}
		if len(res) == 1 {
			st.Resource = res[0]
		}
		return st
	}
	var sts []statement
	if len(secrets) > 0 {
		sts = append(sts, one(Action, secrets))
	}
	if len(params) > 0 {
		sts = append(sts, one(ParameterAction, params))
	}
	var b []byte
	if len(sts) == 1 {
		b, _ = json.Marshal(sts[0])
	} else {
		b, _ = json.Marshal(sts)
	}
	return string(b)
}

// Sources names where the secrets arns are read from: "AWS Secrets
// Manager", "AWS Systems Manager Parameter Store", or both.
func Sources(arns []string) string {
	var sm, ps bool
	for _, a := range arns {
		if IsParameter(a) {
			ps = true
		} else {
			sm = true
		}
	}
	switch {
	case sm && ps:
		return "AWS Secrets Manager and AWS Systems Manager Parameter Store"
	case ps:
		return "AWS Systems Manager Parameter Store"
	}
	return "AWS Secrets Manager"
}

// Resources are the resources a statement must grant for a secret given by
// arn: AWS authorizes GetSecretValue on the secret's full ARN, its name
// followed by "-" and six random characters. An ARN that already ends that
// way is granted as it is; any other gets "-??????" appended too.
func Resources(arn string) []string {
	if IsFull(arn) {
		return []string{arn}
	}
	return []string{arn, arn + "-??????"}
}

// IsFull reports whether arn ends with the six-character suffix AWS gives
// a secret's full ARN ("-" and six letters or digits).
func IsFull(arn string) bool {
	if len(arn) < 7 || arn[len(arn)-7] != '-' {
		return false
	}
	for _, r := range arn[len(arn)-6:] {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// ARNs lists the distinct ARNs of every secret flow def declares.
func ARNs(def *flow.Flow) []string {
	var out []string
	for _, s := range def.Steps {
		for _, sec := range def.SecretsOf(s) {
			if !slices.Contains(out, sec.ARN) {
				out = append(out, sec.ARN)
			}
		}
	}
	return out
}
