//go:build stepflow_aws

package cli

import (
	"context"
	"os"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/s3"
)

// awsBuild is true in the AWS build of a flow binary (-tags stepflow_aws),
// which links the AWS SDK: the S3 datastore and the commands that call AWS.
const awsBuild = true

// openS3 opens an S3 datastore root.
func openS3(root string) (datastore.Backend, error) {
	// FromEnv makes no request: its errors are all configuration errors.
	b, err := s3.FromEnv(context.Background(), root, os.Getenv)
	if err != nil {
		return nil, Usagef("datastore root %s: %v", root, err)
	}
	return b, nil
}
