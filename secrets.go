package stepflow

import (
	"errors"

	"github.com/stepflow/stepflow/internal/flow"
)

// Secrets declares a secret: as a StepOption, one the step may read; with
// Flow.Secrets, one every step may read. The step reads it with
// Context.Secret(name); it is never an artifact, a parameter or an
// environment variable of the job, and Stepflow writes its value nowhere.
//
// On AWS the task fetches it from AWS Secrets Manager when it starts, with
// the job role, which needs secretsmanager:GetSecretValue on arn
// (step-functions create prints the statement); an AWS Systems Manager
// Parameter Store parameter's ARN is read with ssm:GetParameter, decrypted
// (a SecureString's plain text). On a local run its value
// is the environment variable STEPFLOW_SECRET_<NAME> (the name in upper
// case: "db" is STEPFLOW_SECRET_DB), else the key name of the JSON file
// given with run --secrets-file FILE. A task whose secret has no value
// fails before the step runs, saying where it looked.
//
// name is letters, digits and underscores, starting with a letter; arn is
// the secret's ARN, arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, or
// the parameter's, arn:aws:ssm:REGION:ACCOUNT:parameter/NAME.
func Secrets(name, arn string) StepOption {
	return stepOpt{flow.SecretOption{Name: name, ARN: arn}}
}

// Secrets declares a secret every step of the flow may read (see the
// function Secrets).
func (f *Flow[T]) Secrets(name, arn string) *Flow[T] {
	f.b.Secrets(name, arn)
	return f
}

// Secret returns the value of the secret name, declared with Secrets on
// the step or its flow. A name neither declares is an error.
func (c *Context) Secret(name string) (string, error) {
	if in := c.in(); in != nil {
		return in.Secret(name)
	}
	return "", errors.New("the zero Context has no secrets; call the step with stepflowtest.Context(t, stepflowtest.Secret(NAME, VALUE))")
}
