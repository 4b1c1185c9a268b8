package task

import (
	"context"
	"fmt"

	"github.com/stepflow/stepflow/internal/datastore"
)

// storeInCache stores a succeeded attempt of a cached task (spec.CacheKey
// set) in the flow's step cache, after its record: only a success is ever
// stored, never a failure or a caught one (a catch ran no step). Of two
// runs storing one key at once, both succeed and the last entry stays:
// either attempt serves.
func (e *Executor) storeInCache(ctx context.Context, spec Spec, rec *datastore.Attempt) error {
	if spec.CacheKey == "" || spec.Caught != "" || rec.Status != datastore.StatusSucceeded {
		return nil
	}
	err := e.Store.Cache().Put(ctx, datastore.CacheEntry{Key: spec.CacheKey, Run: rec.Run, Step: rec.Step, Task: rec.Task,
		Attempt: rec.Attempt, Created: e.now()})
	if err != nil {
		return fmt.Errorf("store in the step cache: %w", err)
	}
	return nil
}
