package bookkeeping

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepflow/stepflow/internal/datastore"
)

// memTable is a DynamoDB table in memory: PutItem replaces, GetItem reads.
type memTable map[string]map[string]types.AttributeValue

func (m memTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	m[in.Item["pathspec"].(*types.AttributeValueMemberS).Value] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (m memTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: m[in.Key["pathspec"].(*types.AttributeValueMemberS).Value]}, nil
}

// TestCacheItems: the items a task writes for the step cache, and the hit
// the state machine writes as the task reads it.
func TestCacheItems(t *testing.T) {
	m := memTable{}
	now := time.Unix(1_700_000_000, 0)
	tb := &Table{Client: m, Getter: m, Name: "tbl", TTL: time.Hour, Now: func() time.Time { return now }}
	ctx := context.Background()
	rec := &datastore.Attempt{Run: "sfn-a", Step: "prep", Task: "0", Attempt: 2}
	if err := tb.PutDigest(ctx, rec, "d1"); err != nil {
		t.Fatal(err)
	}
	if err := tb.PutCached(ctx, "k1", rec, "d1"); err != nil {
		t.Fatal(err)
	}
	s := func(item map[string]types.AttributeValue, name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		if v, ok := item[name].(*types.AttributeValueMemberN); ok {
			return v.Value
		}
		return ""
	}
	if it := m["out:sfn-a/prep/0"]; s(it, "digest") != "d1" || s(it, "ttl") != "1700003600" || s(it, "from") != "" {
		t.Errorf("digest item: %v", it)
	}
	if it := m["cache:k1"]; s(it, "from") != "sfn-a/prep/0/2" || s(it, "digest") != "d1" {
		t.Errorf("cache item: %v", it)
	}
	// A task's own digest item is no hit.
	if _, ok, err := tb.Hit(ctx, "sfn-a/prep/0"); ok || err != nil {
		t.Errorf("Hit of a digest item: %v, %v", ok, err)
	}
	// The state machine's hit item.
	m["out:sfn-b/prep/0"] = map[string]types.AttributeValue{
		"pathspec": &types.AttributeValueMemberS{Value: "out:sfn-b/prep/0"},
		"digest":   &types.AttributeValueMemberS{Value: "d1"},
		"from":     &types.AttributeValueMemberS{Value: "sfn-a/prep/0/2"},
		"key":      &types.AttributeValueMemberS{Value: "k1"},
		"inputs":   &types.AttributeValueMemberS{Value: "sfn-b/start/0"},
	}
	h, ok, err := tb.Hit(ctx, "sfn-b/prep/0")
	if err != nil || !ok || h.From != "sfn-a/prep/0/2" || h.Key != "k1" || len(h.Inputs) != 1 || h.Inputs[0] != "sfn-b/start/0" {
		t.Errorf("Hit = %+v, %v, %v", h, ok, err)
	}
	if err := tb.Invalidate(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if it := m["cache:k1"]; s(it, "from") != "" || s(it, "ttl") == "" {
		t.Errorf("dropped entry: %v", it)
	}
}
