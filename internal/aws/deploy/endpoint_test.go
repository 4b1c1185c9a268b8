package deploy_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/stepflow/stepflow/internal/aws/awstest"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
)

// Every client honours the SDK's standard AWS_ENDPOINT_URL when no
// STEPFLOW_*_ENDPOINT overrides it.
func TestClientsHonourAWSEndpointURL(t *testing.T) {
	f := awstest.New()
	t.Cleanup(f.Close)
	f.AddQueue("queue", "EC2")
	t.Setenv("AWS_ENDPOINT_URL", f.URL)
	e := setup(t, true)
	s := e.opts.Settings
	s.SFNEndpoint, s.BatchEndpoint, s.SchedulerEndpoint, s.EventsEndpoint, s.LogsEndpoint = "", "", "", "", ""
	c, err := deploy.NewClients(context.Background(), statemachine.Settings{Region: awstest.Region}, deploy.ClientOptions{
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.c, e.f, e.opts.Settings = c, f, s
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	c.Logs.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")})
	for _, op := range []string{"ListStateMachines", "describejobqueues", "registerjobdefinition", "CreateStateMachine", "CreateSchedule", "GetLogEvents"} {
		if f.Count(op) == 0 {
			t.Errorf("%s did not reach AWS_ENDPOINT_URL", op)
		}
	}
}
