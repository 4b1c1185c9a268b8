//go:build !stepflow_aws

package cli

import (
	"context"

	"github.com/stepflow/stepflow/internal/task"
)

// openBookkeeper: the plain build has no DynamoDB client; a task of a cloud
// run (STEPFLOW_DYNAMODB_TABLE set) re-runs in the AWS build.
func openBookkeeper(ctx context.Context, getenv func(string) string) (task.Bookkeeper, error) {
	if getenv("STEPFLOW_DYNAMODB_TABLE") == "" {
		return nil, nil
	}
	return nil, errNeedAWS
}
