//go:build !stepflow_aws

package cli

import "github.com/stepflow/stepflow/internal/datastore"

// awsBuild is false in the plain build of a flow binary: it runs flows
// locally and never links the AWS SDK, so each task process starts fast.
// Commands that need AWS re-run the command in the AWS build (reexec.go).
const awsBuild = false

func openS3(root string) (datastore.Backend, error) { return nil, errNeedAWS }
