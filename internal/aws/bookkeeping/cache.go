package bookkeeping

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepflow/stepflow/internal/cachekey"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/task"
)

// The step cache's items are named by the constants of package cachekey
// (OutPrefix, CachePrefix, the Attr* names): see there.
// GetItemAPI is the part of the DynamoDB client that reads the hits a
// state machine recorded.
type GetItemAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

var _ task.CacheBook = (*Table)(nil)

func (t *Table) expiry() string {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	return strconv.FormatInt(now().Add(t.TTL).Unix(), 10)
}

func (t *Table) put(ctx context.Context, what string, item map[string]types.AttributeValue) error {
	item["ttl"] = &types.AttributeValueMemberN{Value: t.expiry()}
	if _, err := t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item}); err != nil {
		return fmt.Errorf("write %s to DynamoDB table %s: %w", what, t.Name, err)
	}
	return nil
}

// PutDigest writes the "out:" item of a succeeded task: the digest of its
// artifacts. A retry writes the same item again.
func (t *Table) PutDigest(ctx context.Context, rec *datastore.Attempt, digest string) error {
	ps := pathspec.Task(rec.Run, rec.Step, rec.Task).String()
	return t.put(ctx, "the artifacts' digest of "+ps, map[string]types.AttributeValue{
		"pathspec":          &types.AttributeValueMemberS{Value: cachekey.OutPrefix + ps},
		cachekey.AttrDigest: &types.AttributeValueMemberS{Value: digest},
	})
}

// PutCached writes the "cache:" item of a cached task's success. Of two
// runs writing one key at once, the last PutItem stays; either serves.
func (t *Table) PutCached(ctx context.Context, key string, rec *datastore.Attempt, digest string) error {
	from := fmt.Sprintf("%s/%s/%s/%d", rec.Run, rec.Step, rec.Task, rec.Attempt)
	return t.put(ctx, "the step cache's entry of "+from, map[string]types.AttributeValue{
		"pathspec":              &types.AttributeValueMemberS{Value: cachekey.CachePrefix + key},
		cachekey.AttrCachedFrom: &types.AttributeValueMemberS{Value: from},
		cachekey.AttrDigest:     &types.AttributeValueMemberS{Value: digest},
	})
}

// PutItemDigests writes the "out:" item of each item of a foreach task,
// "out:<run>/<step>/<task>/<index>", holding the digest of that item's
// inputs, 16 at a time.
func (t *Table) PutItemDigests(ctx context.Context, rec *datastore.Attempt, digests []string) error {
	ps := pathspec.Task(rec.Run, rec.Step, rec.Task).String()
	errs := make([]error, len(digests))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(16, len(digests)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = t.put(ctx, fmt.Sprintf("the digest of item %d of %s", i, ps), map[string]types.AttributeValue{
					"pathspec":          &types.AttributeValueMemberS{Value: cachekey.OutPrefix + ps + "/" + strconv.Itoa(i)},
					cachekey.AttrDigest: &types.AttributeValueMemberS{Value: digests[i]},
				})
			}
		})
	}
	for i := range digests {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// Invalidate replaces the "cache:" item of key by one without an
// attempt: the state machine's lookup then misses.
func (t *Table) Invalidate(ctx context.Context, key string) error {
	return t.put(ctx, "the dropped step cache entry "+key, map[string]types.AttributeValue{
		"pathspec": &types.AttributeValueMemberS{Value: cachekey.CachePrefix + key},
	})
}

// Hit reads the "out:" item of task run/step/task: a hit when the state
// machine wrote it (it names the cached attempt).
func (t *Table) Hit(ctx context.Context, taskPath string) (task.CacheHit, bool, error) {
	if t.Getter == nil {
		return task.CacheHit{}, false, fmt.Errorf("read the step cache's hit of %s: no DynamoDB reader", taskPath)
	}
	out, err := t.Getter.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pathspec": &types.AttributeValueMemberS{Value: cachekey.OutPrefix + taskPath}}})
	if err != nil {
		return task.CacheHit{}, false, fmt.Errorf("read the step cache's hit of %s from DynamoDB table %s: %w", taskPath, t.Name, err)
	}
	str := func(name string) string {
		if v, ok := out.Item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	from := str(cachekey.AttrCachedFrom)
	if from == "" {
		return task.CacheHit{}, false, nil
	}
	h := task.CacheHit{From: from, Key: str(cachekey.AttrCacheKey)}
	for _, in := range strings.Split(str(cachekey.AttrInputs), ",") {
		if in != "" {
			h.Inputs = append(h.Inputs, in)
		}
	}
	return h, true, nil
}
