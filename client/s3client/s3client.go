// Package s3client opens a Stepflow datastore kept in Amazon S3 (or an
// S3-compatible store) for reading with package client. It links the AWS
// SDK, which package client itself does not.
package s3client

import (
	"context"
	"os"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/datastore/s3"
)

// Open returns a client reading the datastore at root, s3://bucket[/prefix].
// Settings come from the environment: STEPFLOW_S3_ENDPOINT and
// STEPFLOW_S3_PATH_STYLE for S3-compatible stores, STEPFLOW_REGION or
// AWS_REGION, and the AWS SDK's default credential chain. It sends no
// request.
func Open(ctx context.Context, root string) (*client.Client, error) {
	b, err := s3.FromEnv(ctx, root, os.Getenv)
	if err != nil {
		return nil, err
	}
	return client.New(root, b), nil
}
