// Package moto holds the tests that run Stepflow against moto_server, a
// second, independent emulator of the AWS APIs (scripts/test.sh installs
// it): the CloudFormation template deployed into it, the step-functions
// commands of a flow binary run against that stack with only
// AWS_ENDPOINT_URL set, and every golden state machine definition
// checked by its Amazon States Language parser (LocalStack's grammar, a
// second one next to asl-validator). The package has no code of its own.
package moto
