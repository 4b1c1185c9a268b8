package bookkeeping

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
)

type fakeClient struct{ in []*dynamodb.PutItemInput }

func (f *fakeClient) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.in = append(f.in, in)
	return &dynamodb.PutItemOutput{}, nil
}

func TestTransition(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := &fakeClient{}
	tb := &Table{Client: c, Name: "tbl", TTL: time.Hour, Now: func() time.Time { return now }}
	ctx := context.Background()
	fe := &datastore.Attempt{Run: "sfn-x", Step: "start", Task: "0", ForeachWidth: 0}
	sw := &datastore.Attempt{Run: "sfn-x", Step: "route", Task: "3-1", SwitchTarget: "slow"}
	for i := 0; i < 2; i++ { // a retry writes the same item
		if err := tb.Transition(ctx, flow.Foreach, fe); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.Transition(ctx, flow.Switch, sw); err != nil {
		t.Fatal(err)
	}
	if len(c.in) != 3 || *c.in[0].TableName != "tbl" {
		t.Fatalf("calls: %d", len(c.in))
	}
	s := func(v types.AttributeValue) string {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			return "S:" + v.Value
		case *types.AttributeValueMemberN:
			return "N:" + v.Value
		}
		return "?"
	}
	got := map[string]string{}
	for k, v := range c.in[0].Item {
		got[k] = s(v)
	}
	want := map[string]string{"pathspec": "S:sfn-x/start/0", "width": "N:0", "ttl": "N:1700003600"}
	if len(got) != len(want) {
		t.Errorf("foreach item %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("foreach item %s = %s, want %s", k, got[k], v)
		}
	}
	if s(c.in[2].Item["pathspec"]) != "S:sfn-x/route/3-1" || s(c.in[2].Item["target"]) != "S:slow" || c.in[2].Item["width"] != nil {
		t.Errorf("switch item %v", c.in[2].Item)
	}
	if err := tb.Transition(ctx, flow.Switch, &datastore.Attempt{Run: "r", Step: "s", Task: "0"}); err == nil {
		t.Error("a switch without target was written")
	}
}

func TestFromEnv(t *testing.T) {
	ctx := context.Background()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if tb, err := FromEnv(ctx, env(nil)); tb != nil || err != nil {
		t.Errorf("no table: %v %v", tb, err)
	}
	if _, err := FromEnv(ctx, env(map[string]string{EnvTable: "t", EnvTTLSeconds: "soon"})); err == nil || !strings.Contains(err.Error(), EnvTTLSeconds) {
		t.Errorf("bad TTL: %v", err)
	}
	tb, err := FromEnv(ctx, env(map[string]string{EnvTable: "t", EnvTTLSeconds: "60", EnvEndpoint: "http://127.0.0.1:1", "AWS_REGION": "eu-west-3"}))
	if err != nil || tb.Name != "t" || tb.TTL != time.Minute {
		t.Fatalf("%+v %v", tb, err)
	}
}
