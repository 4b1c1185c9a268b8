package task

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/internal/datastore"
)

// cardRefreshEvery is the shortest time between two live cards a task
// stores: a training loop may refresh its card every batch, and each
// refresh is a write (an S3 PUT in the cloud).
const cardRefreshEvery = time.Second

// cardRefresher stores the card a running step refreshes
// (stepflow.Context.RefreshCard) as its attempt's live card, at most once
// per cardRefreshEvery, for the viewers to show while the step runs.
type cardRefresher struct {
	ctx             context.Context
	attempts        *datastore.Attempts
	run, step, task string
	attempt         int
	now             func() time.Time
	mu              sync.Mutex
	last            time.Time // of the last stored refresh
	stored          bool      // a live card was stored
}

// save stores k as the live card unless the last one is too recent or k
// is empty.
func (r *cardRefresher) save(k *card.Card) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if k == nil || k.Empty() || r.stored && now.Sub(r.last) < cardRefreshEvery {
		return nil
	}
	data, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("refresh card: %w", err)
	}
	if err := r.attempts.PutLiveCard(r.ctx, r.run, r.step, r.task, r.attempt, data); err != nil {
		return fmt.Errorf("refresh card: %w", err)
	}
	r.last, r.stored = now, true
	return nil
}

// remove removes the live card, if one was stored, once the attempt's
// record holds the final card.
func (r *cardRefresher) remove(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stored {
		return nil
	}
	return r.attempts.RemoveLiveCard(ctx, r.run, r.step, r.task, r.attempt)
}
