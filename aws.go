//go:build stepflow_aws

package stepflow

// The AWS build of a flow binary (go build -tags stepflow_aws) links the
// step-functions commands, the S3 datastore and the DynamoDB bookkeeping
// of cloud tasks: importing their package registers them. This import is
// the build tag's only effect. Plain builds leave the AWS SDK out, so that
// every local task starts fast; their step-functions command says how to
// get the AWS build.
import _ "github.com/stepflow/stepflow/internal/aws/sfncmd"
