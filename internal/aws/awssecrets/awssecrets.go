// Package awssecrets fetches a cloud task's secrets (stepflow.Secrets)
// from AWS Secrets Manager, or AWS Systems Manager Parameter Store for a
// parameter's ARN, when the task starts, with the job role's credentials. It is linked only by the AWS build of a flow (package
// sfncmd registers it), so a plain flow binary never links the AWS SDK.
package awssecrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/stepflow/stepflow/internal/flow"
)

// EnvEndpoint overrides the Secrets Manager endpoint (tests, VPC
// endpoints): the AWS SDK's own variable for the service.
const EnvEndpoint = "AWS_ENDPOINT_URL_SECRETS_MANAGER"

// Action is the IAM action the job role needs on each secret's ARN.
const Action = "secretsmanager:GetSecretValue"

// Manager is the secret source of a cloud task: each secret's value is
// GetSecretValue of its ARN, or for a Parameter Store parameter's ARN
// GetParameter with decryption (a SecureString's plain text), in the
// ARN's region.
type Manager struct {
	Getenv func(string) string // the task's environment (credentials, endpoints)
	// Options and ParameterOptions are added to each Secrets Manager and
	// Systems Manager client's (tests: credentials).
	Options          []func(*secretsmanager.Options)
	ParameterOptions []func(*ssm.Options)

	mu         sync.Mutex
	clients    map[string]*secretsmanager.Client // by region
	ssmClients map[string]*ssm.Client            // by region
}

// Secrets fetches every secret, or returns an error naming the first one
// that could not be read and what to do about it. Neither its messages
// nor AWS's carry a value.
func (m *Manager) Secrets(ctx context.Context, secrets []flow.Secret) (map[string]string, error) {
	out := make(map[string]string, len(secrets))
	for _, s := range secrets {
		v, err := m.fetch(ctx, s)
		if err != nil {
			return nil, &flow.SecretError{Name: s.Name, ARN: s.ARN, Err: err}
		}
		out[s.Name] = v
	}
	return out, nil
}

func (m *Manager) fetch(ctx context.Context, s flow.Secret) (string, error) {
	if IsParameter(s.ARN) {
		return m.parameter(ctx, s)
	}
	region, err := Region(s.ARN)
	if err != nil {
		return "", err
	}
	c, err := m.client(ctx, region)
	if err != nil {
		return "", err
	}
	res, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.ARN)})
	if err != nil {
		return "", explain(s, err)
	}
	switch {
	case res.SecretString != nil:
		return *res.SecretString, nil
	case res.SecretBinary != nil:
		return string(res.SecretBinary), nil
	}
	return "", errors.New("AWS Secrets Manager returned no value (neither SecretString nor SecretBinary); put a value in the secret")
}

// explain turns the AWS errors a user can fix into what to do.
func explain(s flow.Secret, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException":
			return fmt.Errorf("get it from AWS Secrets Manager: access denied: the job role needs %s on it; add the statement %s to the job role's policy (step-functions create prints it): %w", Action, Statement([]string{s.ARN}), err)
		case "ResourceNotFoundException":
			return fmt.Errorf("get it from AWS Secrets Manager: no such secret in region %s; create it or correct the ARN given to stepflow.Secrets: %w", mustRegion(s.ARN), err)
		}
	}
	return fmt.Errorf("get it from AWS Secrets Manager: %w", err)
}

func (m *Manager) client(ctx context.Context, region string) (*secretsmanager.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.clients[region]; c != nil {
		return c, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region),
		config.WithRetryer(func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 5 }) }))
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for Secrets Manager: %w", err)
	}
	getenv := m.Getenv
	opts := append([]func(*secretsmanager.Options){func(o *secretsmanager.Options) {
		if getenv != nil {
			if ep := getenv(EnvEndpoint); ep != "" {
				o.BaseEndpoint = aws.String(ep)
			}
		}
	}}, m.Options...)
	c := secretsmanager.NewFromConfig(cfg, opts...)
	if m.clients == nil {
		m.clients = map[string]*secretsmanager.Client{}
	}
	m.clients[region] = c
	return c, nil
}

// Region returns the region of a Secrets Manager ARN,
// arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME.
func Region(arn string) (string, error) {
	p := strings.SplitN(arn, ":", 7)
	if len(p) < 7 || p[0] != "arn" || p[2] != "secretsmanager" || p[3] == "" || p[5] != "secret" {
		return "", fmt.Errorf("%q is not the ARN of an AWS Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", arn)
	}
	return p[3], nil
}

func mustRegion(arn string) string {
	r, _ := Region(arn)
	return r
}
