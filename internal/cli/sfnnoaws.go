//go:build !stepflow_aws

package cli

import "context"

// sfnAWS runs a step-functions command that calls AWS: in the plain build,
// by re-running the command line in the AWS build.
func sfnAWS(ctx context.Context, env *Env, req *sfnRequest) error { return errNeedAWS }
