package runner

import (
	"context"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// heartbeat writes the run's heartbeat now and then every
// datastore.HeartbeatInterval until the returned function is called, so
// that readers tell a live run from one whose runtime was killed
// (client.StatusCrashed). A failed renewal is retried at the next tick:
// a datastore hiccup must not fail the run.
func (r *Runner) heartbeat(ctx context.Context, run string) (stop func(), err error) {
	if err := r.Store.Leases().PutHeartbeat(ctx, datastore.NewLease(run)); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(datastore.HeartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = r.Store.Leases().PutHeartbeat(ctx, datastore.NewLease(run))
			}
		}
	}()
	return func() { cancel(); <-done }, nil
}
