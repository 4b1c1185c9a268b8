// Package deploy deploys a compiled flow to AWS Step Functions + AWS Batch
// (step-functions create) and operates its runs (trigger, list-runs,
// status, logs, terminate, resume, delete). Its writes are idempotent: a
// second deploy of an unchanged flow reads, compares and writes nothing.
// docs/deploy.md describes the commands, docs/iam.md the permissions each
// one needs.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/usage"
)

// Clients are the AWS clients deploy and operations use.
type Clients struct {
	SFN       *sfn.Client
	Batch     *batch.Client
	Scheduler *scheduler.Client
	Events    *eventbridge.Client // the triggers' rules, send-event
	Logs      *cloudwatchlogs.Client
	// ECR makes the ECR client of a registry's region (the flow image's
	// login: ecr:GetAuthorizationToken).
	ECR    func(region string) *ecr.Client
	Region string
}

// ClientOptions tune the clients (tests lower the backoff).
type ClientOptions struct {
	// Credentials overrides the SDK's default chain.
	Credentials aws.CredentialsProvider
	// MaxBackoff caps the retry delay; 0: the SDK's default (20 s).
	MaxBackoff time.Duration
	// MaxAttempts of a request; 0: the SDK's default (3).
	MaxAttempts int
}

// NewClients builds the clients from the settings: the region
// (s.Region, else the SDK's chain: AWS_REGION, the profile), the endpoint
// overrides (s.SFNEndpoint, ...; tests and AWS-compatible services) and the
// SDK's default credential chain. The HTTP client is the SDK's own (with
// AWS_CA_BUNDLE honoured); nothing here replaces it.
func NewClients(ctx context.Context, s statemachine.Settings, o ClientOptions) (*Clients, error) {
	var opts []func(*config.LoadOptions) error
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, usage.Wrap(&statemachine.MissingError{Doing: "reach AWS", Missing: []statemachine.Missing{{Flag: "region", Why: "the AWS region of the deployment"}}})
	}
	retryer := func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			if o.MaxBackoff > 0 {
				so.MaxBackoff = o.MaxBackoff
			}
			if o.MaxAttempts > 0 {
				so.MaxAttempts = o.MaxAttempts
			}
		})
	}
	// An override replaces the endpoint the SDK resolved from its own
	// configuration (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, the
	// profile's endpoint_url), which is kept otherwise: setting
	// BaseEndpoint to nil would drop it.
	ep := func(u string, resolved *string) *string {
		if u == "" {
			return resolved
		}
		return aws.String(u)
	}
	return &Clients{
		Region: cfg.Region,
		SFN: sfn.NewFromConfig(cfg, func(op *sfn.Options) {
			op.BaseEndpoint = ep(s.SFNEndpoint, op.BaseEndpoint)
			op.Retryer = retryer()
		}),
		Batch: batch.NewFromConfig(cfg, func(op *batch.Options) {
			op.BaseEndpoint = ep(s.BatchEndpoint, op.BaseEndpoint)
			op.Retryer = retryer()
		}),
		Scheduler: scheduler.NewFromConfig(cfg, func(op *scheduler.Options) {
			op.BaseEndpoint = ep(s.SchedulerEndpoint, op.BaseEndpoint)
			op.Retryer = retryer()
		}),
		Events: eventbridge.NewFromConfig(cfg, func(op *eventbridge.Options) {
			op.BaseEndpoint = ep(s.EventsEndpoint, op.BaseEndpoint)
			op.Retryer = retryer()
		}),
		Logs: cloudwatchlogs.NewFromConfig(cfg, func(op *cloudwatchlogs.Options) {
			op.BaseEndpoint = ep(s.LogsEndpoint, op.BaseEndpoint)
			op.Retryer = retryer()
		}),
		ECR: func(region string) *ecr.Client {
			return ecr.NewFromConfig(cfg, func(op *ecr.Options) {
				op.Region = region
				op.BaseEndpoint = ep(s.ECREndpoint, op.BaseEndpoint)
				op.Retryer = retryer()
			})
		},
	}, nil
}

// errCode returns the AWS error code of err, or "".
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// userf returns a problem the user fixes (a *usage.Error, exit status 2):
// a refused token, a missing deployment, a run that cannot be redriven.
func userf(format string, args ...any) error { return usage.Errorf(format, args...) }

// awsErr explains an AWS error: what was being done, the AWS message, and
// for access errors the permission to grant.
func awsErr(doing string, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	switch code := ae.ErrorCode(); {
	case isAccessDenied(code):
		return deniedError(doing, ae, err)
	case code == "ThrottlingException" || code == "TooManyRequestsException":
		return fmt.Errorf("%s: AWS kept throttling the requests (retried with backoff): %s; try again later", doing, ae.ErrorMessage())
	}
	return fmt.Errorf("%s: %w", doing, err)
}
