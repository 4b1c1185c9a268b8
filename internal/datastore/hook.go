package datastore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// HookRecord is the outcome of a run's exit hook (stepflow's
// Flow.OnFinish), at "<flow>/runs/<run>/hook.json", written once the
// hook returned. It never changes the run's own status (RunEnd).
type HookRecord struct {
	Status    string    `json:"status"`     // "succeeded" | "failed"
	RunStatus string    `json:"run_status"` // the run's status the hook was told
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Error     string    `json:"error,omitempty"`
	// Output is what the hook printed (Context.Printf), its last
	// MaxHookOutput bytes.
	Output string `json:"output,omitempty"`
}

// MaxHookOutput is how much of its hook's output a HookRecord keeps.
const MaxHookOutput = 64 << 10

// PutHook writes the record of run's exit hook.
func (rs *Runs) PutHook(ctx context.Context, run string, h HookRecord) error {
	dir, err := rs.runDir(run)
	if err != nil {
		return fmt.Errorf("put hook record: %w", err)
	}
	if len(h.Output) > MaxHookOutput {
		h.Output = h.Output[len(h.Output)-MaxHookOutput:]
	}
	return rs.putJSON(ctx, dir+"hook.json", h)
}

// GetHook returns the record of run's exit hook, or nil when it has none
// (no hook, or not run yet).
func (rs *Runs) GetHook(ctx context.Context, run string) (*HookRecord, error) {
	dir, err := rs.runDir(run)
	if err != nil {
		return nil, fmt.Errorf("get hook record: %w", err)
	}
	var h HookRecord
	if err := rs.getJSON(ctx, dir+"hook.json", &h); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return &h, nil
}
