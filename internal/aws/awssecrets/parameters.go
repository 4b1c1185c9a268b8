package awssecrets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/stepflow/stepflow/internal/flow"
)

// EnvParameterEndpoint overrides the Systems Manager endpoint of the
// parameters (tests, VPC endpoints): the AWS SDK's own variable for SSM.
const EnvParameterEndpoint = "AWS_ENDPOINT_URL_SSM"

// ParameterAction is the IAM action the job role needs on each Parameter
// Store parameter a flow reads as a secret.
const ParameterAction = "ssm:GetParameter"

// IsParameter reports whether arn names an AWS Systems Manager Parameter
// Store parameter (arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME) rather
// than a Secrets Manager secret.
func IsParameter(arn string) bool {
	p := strings.SplitN(arn, ":", 6)
	return len(p) == 6 && p[0] == "arn" && p[2] == "ssm" && strings.HasPrefix(p[5], "parameter/")
}

// ParameterRegion returns the region of a parameter's ARN.
func ParameterRegion(arn string) (string, error) {
	p := strings.SplitN(arn, ":", 6)
	if !IsParameter(arn) || p[3] == "" || len(p[5]) <= len("parameter/") {
		return "", fmt.Errorf("%q is not the ARN of an AWS Systems Manager parameter (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)", arn)
	}
	return p[3], nil
}

// parameter fetches a parameter's value, decrypted (a SecureString's too),
// with GetParameter of its ARN in its region.
func (m *Manager) parameter(ctx context.Context, s flow.Secret) (string, error) {
	region, err := ParameterRegion(s.ARN)
	if err != nil {
		return "", err
	}
	c, err := m.ssmClient(ctx, region)
	if err != nil {
		return "", err
	}
	res, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.ARN), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", explainParameter(s, region, err)
	}
	if res.Parameter == nil || res.Parameter.Value == nil {
		return "", errors.New("AWS Systems Manager returned no value; put a value in the parameter")
	}
	return *res.Parameter.Value, nil
}

// explainParameter turns the AWS errors a user can fix into what to do.
func explainParameter(s flow.Secret, region string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException":
			return fmt.Errorf("get it from AWS Systems Manager Parameter Store: access denied: the job role needs %s on it (and kms:Decrypt on a SecureString's customer managed key); add the statement %s to the job role's policy (step-functions create prints it): %w", ParameterAction, Statement([]string{s.ARN}), err)
		case "ParameterNotFound":
			return fmt.Errorf("get it from AWS Systems Manager Parameter Store: no such parameter in region %s; create it or correct the ARN given to stepflow.Secrets: %w", region, err)
		}
	}
	return fmt.Errorf("get it from AWS Systems Manager Parameter Store: %w", err)
}

func (m *Manager) ssmClient(ctx context.Context, region string) (*ssm.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.ssmClients[region]; c != nil {
		return c, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region),
		config.WithRetryer(func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 5 }) }))
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for Systems Manager: %w", err)
	}
	getenv := m.Getenv
	opts := append([]func(*ssm.Options){func(o *ssm.Options) {
		if getenv != nil {
			if ep := getenv(EnvParameterEndpoint); ep != "" {
				o.BaseEndpoint = aws.String(ep)
			}
		}
	}}, m.ParameterOptions...)
	c := ssm.NewFromConfig(cfg, opts...)
	if m.ssmClients == nil {
		m.ssmClients = map[string]*ssm.Client{}
	}
	m.ssmClients[region] = c
	return c, nil
}
