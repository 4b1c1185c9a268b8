package deploy_test

import (
	"encoding/json"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

type cacheIAMState struct{ N int }

// TestIAMCoversStepCache: the state machine of a flow with a cached step
// looks up and records the step cache's items in the bookkeeping table
// (GetItem, PutItem), and its tasks write and read them (PutItem, GetItem):
// the template's Step Functions role and Batch job role allow both.
func TestIAMCoversStepCache(t *testing.T) {
	noop := func(*cacheIAMState, *stepflow.Context) error { return nil }
	g, err := graph.New(flow.MustDefinitionOf(stepflow.New[cacheIAMState]("CacheFlow").
		Step("start", noop, stepflow.Next("prep")).
		Step("prep", noop, stepflow.Next("end"), stepflow.Cache()).
		Step("end", noop)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := statemachine.Compile(g, statemachine.Settings{Region: iamRegion, DatastoreRoot: "s3://stepflow-bucket/flows", Queue: "stepflow-queue",
		ImageRepository: iamAccount + ".dkr.ecr.us-east-1.amazonaws.com/stepflow", JobRole: "arn:aws:iam::" + iamAccount + ":role/stepflow-task",
		DynamoDBTable: "stepflow-bookkeeping"})
	if err != nil {
		t.Fatal(err)
	}
	var def map[string]any
	if err := json.Unmarshal(res.Definition, &def); err != nil {
		t.Fatal(err)
	}
	roles := templatePolicies(t)
	actions := map[string]bool{}
	needs("CacheFlow", def["States"].(map[string]any), func(c call) {
		actions[c.action] = true
		for _, m := range authorize(roles["StepFunctionsRole"], c, nil) {
			t.Errorf("the Step Functions role of the template does not allow %s", m)
		}
	})
	if !actions["dynamodb:GetItem"] || !actions["dynamodb:PutItem"] {
		t.Errorf("the cached step's states make no GetItem and PutItem calls (%v): the test proves nothing", actions)
	}
	for _, a := range []string{"dynamodb:PutItem", "dynamodb:GetItem"} {
		for _, m := range authorize(roles["BatchJobRole"], call{action: a, ids: map[string]string{"TableName": "stepflow-bookkeeping"}}, nil) {
			t.Errorf("the Batch job role of the template does not allow %s", m)
		}
	}
}
