// Package s3client lets package client read Stepflow datastores kept in
// Amazon S3 (or an S3-compatible store). Importing it, even blank
// (import _ "github.com/stepflow/stepflow/client/s3client"), makes
// client.Open accept s3://bucket/prefix roots. It links the AWS SDK, which
// package client itself does not.
package s3client

import (
	"context"
	"github.com/stepflow/stepflow/client"
	_ "github.com/stepflow/stepflow/internal/datastore/s3store" // registers s3://
)

// Open returns a client reading the datastore at root, s3://bucket[/prefix];
// it is client.Open.
// Settings come from the environment: STEPFLOW_S3_ENDPOINT and
// STEPFLOW_S3_PATH_STYLE for S3-compatible stores, STEPFLOW_REGION or
// AWS_REGION, and the AWS SDK's default credential chain. It sends no
// request.
func Open(ctx context.Context, root string) (*client.Client, error) {
	return client.Open(ctx, root)
}
