package motoproc_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/stepflow/stepflow/internal/aws/motoproc"
)

// A rule delivers the events its pattern matches, and only those, to a
// log group target, as the event or as its input transformer's output.
func TestDelivered(t *testing.T) {
	s := motoproc.Start(t)
	ctx := context.Background()
	eb := s.EventBridge()
	raw, err := s.LogTarget(ctx, "raw")
	if err != nil {
		t.Fatal(err)
	}
	shaped, err := s.LogTarget(ctx, "shaped")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":["test"],"detail":{"n":[1]}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []ebtypes.Target{
		{Id: aws.String("raw"), Arn: aws.String(raw)},
		{Id: aws.String("shaped"), Arn: aws.String(shaped), InputTransformer: &ebtypes.InputTransformer{
			InputPathsMap: map[string]string{"n": "$.detail.n", "id": "$.id"}, InputTemplate: aws.String(`{"n":"<n>","id":"<id>"}`)}},
	}}); err != nil {
		t.Fatal(err)
	}
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("test"), DetailType: aws.String("t"), Detail: aws.String(`{"n":2}`)},
		{Source: aws.String("test"), DetailType: aws.String("t"), Detail: aws.String(`{"n":1}`)},
	}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents: %v %+v", err, out)
	}
	id := aws.ToString(out.Entries[1].EventId)
	got, err := s.Delivered(ctx, "raw")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		ID     string         `json:"id"`
		Detail map[string]any `json:"detail"`
	}
	if len(got) != 1 || json.Unmarshal([]byte(got[0]), &ev) != nil || ev.ID != id || ev.Detail["n"] != 1.0 {
		t.Fatalf("raw target received %q, want the one matching event %s", got, id)
	}
	got, err = s.Delivered(ctx, "shaped")
	if err != nil {
		t.Fatal(err)
	}
	var in map[string]string
	if len(got) != 1 || json.Unmarshal([]byte(got[0]), &in) != nil || in["n"] != "1" || in["id"] != id {
		t.Fatalf("transformed target received %q, want {n: 1, id: %s}", got, id)
	}
}
