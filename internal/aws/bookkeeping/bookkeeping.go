// Package bookkeeping writes the DynamoDB items a compiled state machine
// reads to go on after a foreach step (its width) or a switch step (its
// target): one item per task, keyed by its pathspec (docs/state-machine.md,
// "DynamoDB bookkeeping"). The step command uses it in cloud runs only, when
// STEPFLOW_DYNAMODB_TABLE is set; local runs never load the AWS SDK config.
package bookkeeping

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// Environment variables read by FromEnv.
const (
	EnvTable      = "STEPFLOW_DYNAMODB_TABLE"
	EnvTTLSeconds = "STEPFLOW_DYNAMODB_TTL_SECONDS"
	// EnvEndpoint points the client at a DynamoDB-compatible endpoint
	// (dynalite in tests): http://127.0.0.1:8000.
	EnvEndpoint = "STEPFLOW_DYNAMODB_ENDPOINT"
)

// DefaultTTL is the item lifetime when STEPFLOW_DYNAMODB_TTL_SECONDS is
// unset: a year and the 15-day redrive window, as the compiler computes it.
const DefaultTTL = (365 + 15) * 24 * time.Hour

// PutItemAPI is the part of the DynamoDB client the table uses.
type PutItemAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// Table writes bookkeeping items. It implements task.Bookkeeper.
type Table struct {
	Client PutItemAPI
	// Getter reads the step cache's hits (Hit); FromEnv sets it to the
	// same client.
	Getter GetItemAPI
	Name   string
	TTL    time.Duration
	Now    func() time.Time
}

// FromEnv returns the table named by STEPFLOW_DYNAMODB_TABLE, or nil when it
// is unset. The client is built only then, from the SDK's default chain
// (credentials, AWS_REGION), with STEPFLOW_DYNAMODB_ENDPOINT as its
// endpoint when set (and us-east-1 when that leaves no region).
func FromEnv(ctx context.Context, getenv func(string) string) (*Table, error) {
	name := getenv(EnvTable)
	if name == "" {
		return nil, nil
	}
	ttl := DefaultTTL
	if s := getenv(EnvTTLSeconds); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%s=%q is not a positive number of seconds", EnvTTLSeconds, s)
		}
		ttl = time.Duration(n) * time.Second
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 10 }) }),
	}
	endpoint := getenv(EnvEndpoint)
	if r := getenv("AWS_REGION"); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("dynamodb table %s: %w", name, err)
	}
	if cfg.Region == "" && endpoint != "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("dynamodb table %s: no region: set AWS_REGION", name)
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return &Table{Client: client, Getter: client, Name: name, TTL: ttl}, nil
}

// Item returns the item of a successful foreach or switch attempt.
func (t *Table) Item(kind flow.TransitionKind, rec *datastore.Attempt) (map[string]types.AttributeValue, error) {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	item := map[string]types.AttributeValue{
		"pathspec": &types.AttributeValueMemberS{Value: pathspec.Task(rec.Run, rec.Step, rec.Task).String()},
		"ttl":      &types.AttributeValueMemberN{Value: strconv.FormatInt(now().Add(t.TTL).Unix(), 10)},
	}
	switch kind {
	case flow.Foreach:
		item["width"] = &types.AttributeValueMemberN{Value: strconv.Itoa(rec.ForeachWidth)}
	case flow.Switch:
		if rec.SwitchTarget == "" {
			return nil, fmt.Errorf("switch step %s recorded no target", rec.Step)
		}
		item["target"] = &types.AttributeValueMemberS{Value: rec.SwitchTarget}
	default:
		return nil, fmt.Errorf("step %s is neither a foreach nor a switch", rec.Step)
	}
	return item, nil
}

// Transition writes the item with PutItem: a retry or a redrive of the task
// writes the same item again, so it is idempotent.
func (t *Table) Transition(ctx context.Context, kind flow.TransitionKind, rec *datastore.Attempt) error {
	item, err := t.Item(kind, rec)
	if err != nil {
		return err
	}
	if _, err := t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item}); err != nil {
		return fmt.Errorf("write the bookkeeping item of %s/%s/%s to DynamoDB table %s: %w", rec.Run, rec.Step, rec.Task, t.Name, err)
	}
	return nil
}
