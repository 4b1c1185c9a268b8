// Package e2e runs compiled flows end to end on loopback emulators: the
// state machine in aws-local-stepfunctions, its Batch jobs as local
// processes running the job definitions' real command, S3 in gofakes3 and
// DynamoDB in dynalite. The tests are the package; docs/e2e.md describes
// the harness.
package e2e
