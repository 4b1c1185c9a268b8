package client

import (
	"context"
	"time"
)

// Hook is the outcome of a run's exit hook (stepflow's Flow.OnFinish).
type Hook struct {
	Status    string    `json:"status"`     // StatusSucceeded or StatusFailed
	RunStatus string    `json:"run_status"` // the run's status the hook was told
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Error     string    `json:"error,omitempty"`
	Output    string    `json:"output,omitempty"` // what it printed (the last 64 KiB)
}

// Hook returns the outcome of the run's exit hook, or nil when it has none
// (the flow has no hook, or it has not run yet).
func (r *Run) Hook(ctx context.Context) (*Hook, error) {
	h, err := r.f.s.Runs().GetHook(ctx, r.ID)
	if err != nil || h == nil {
		return nil, err
	}
	return &Hook{Status: h.Status, RunStatus: h.RunStatus, Start: h.Start, End: h.End, Error: h.Error, Output: h.Output}, nil
}
