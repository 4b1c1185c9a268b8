package task

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/internal/datastore"
)

// saveCard stores the card a step filled as a content-addressed blob and
// points the attempt record at it; an empty (or nil) card is not stored.
// It runs for failed attempts too: a card often says why.
func (e *Executor) saveCard(ctx context.Context, k *card.Card, rec *datastore.Attempt) error {
	if k == nil || k.Empty() {
		return nil
	}
	data, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("card: %w", err)
	}
	h, err := e.Store.Blobs().Put(ctx, data)
	if err != nil {
		return fmt.Errorf("save card: %w", err)
	}
	rec.Card = h
	return nil
}
