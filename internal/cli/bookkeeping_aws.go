//go:build stepflow_aws

package cli

import (
	"context"

	"github.com/stepflow/stepflow/internal/aws/bookkeeping"
	"github.com/stepflow/stepflow/internal/task"
)

// openBookkeeper returns the DynamoDB bookkeeping table of a cloud run
// (STEPFLOW_DYNAMODB_TABLE), or nil: the SDK client exists only then.
func openBookkeeper(ctx context.Context, getenv func(string) string) (task.Bookkeeper, error) {
	t, err := bookkeeping.FromEnv(ctx, getenv)
	if t == nil || err != nil {
		return nil, err
	}
	return t, nil
}
