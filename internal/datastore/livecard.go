package datastore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// liveCardName is the object of an attempt's card as its step last
// refreshed it while running: "<attempt dir>/card.live.json".
const liveCardName = "card.live.json"

// maxLiveCard bounds what LiveCard reads: a card of the largest images
// and charts the card package accepts stays well below it.
const maxLiveCard = 256 << 20

// PutLiveCard stores the card (package card's JSON) that a running
// attempt's step refreshed (stepflow.Context.RefreshCard), for viewers
// to show while it runs. Each refresh rewrites it whole, in one Save
// (atomic: a reader sees one refresh or the next). The attempt record's
// card, written when the attempt ends, supersedes it, and the runner
// removes it then (RemoveLiveCard).
func (at *Attempts) PutLiveCard(ctx context.Context, run, step, task string, attempt int, data []byte) error {
	dir, err := at.attemptDir(run, step, task, attempt)
	if err != nil {
		return fmt.Errorf("put live card: %w", err)
	}
	if err := at.b.Save(ctx, dir+liveCardName, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("put live card of %s/%s/%s attempt %d: %w", run, step, task, attempt, err)
	}
	return nil
}

// LiveCard returns the card a running attempt last refreshed and its
// version (the hex SHA-256 of its bytes, which changes with each
// refresh that changed it); an attempt that refreshed none wraps
// ErrNotFound.
func (at *Attempts) LiveCard(ctx context.Context, run, step, task string, attempt int) ([]byte, string, error) {
	dir, err := at.attemptDir(run, step, task, attempt)
	if err != nil {
		return nil, "", fmt.Errorf("get live card: %w", err)
	}
	rc, err := at.b.Load(ctx, dir+liveCardName)
	if err != nil {
		return nil, "", fmt.Errorf("get live card of %s/%s/%s attempt %d: %w", run, step, task, attempt, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxLiveCard+1))
	if err != nil {
		return nil, "", fmt.Errorf("get live card of %s/%s/%s attempt %d: %w", run, step, task, attempt, err)
	}
	if len(data) > maxLiveCard {
		return nil, "", fmt.Errorf("get live card of %s/%s/%s attempt %d: %w: more than %d MiB", run, step, task, attempt, ErrCorrupt, maxLiveCard>>20)
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:]), nil
}

// RemoveLiveCard removes an attempt's live card, once its record (with
// the final card) is written; removing none is no error.
func (at *Attempts) RemoveLiveCard(ctx context.Context, run, step, task string, attempt int) error {
	dir, err := at.attemptDir(run, step, task, attempt)
	if err != nil {
		return fmt.Errorf("remove live card: %w", err)
	}
	if err := at.b.Remove(ctx, dir+liveCardName); err != nil {
		return fmt.Errorf("remove live card of %s/%s/%s attempt %d: %w", run, step, task, attempt, err)
	}
	return nil
}
