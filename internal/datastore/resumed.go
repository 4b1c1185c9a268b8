package datastore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MarkResumed records that run by took over the crashed run origin: it
// writes origin's end record, status StatusCrashed, End its last
// heartbeat, ResumedBy by. Without it a crashed run would read as crashed
// ("resume it") and verify would report it for ever, though a resume
// carried it on. It writes nothing, and returns nil, for a run that has
// an end record, has no heartbeat (a Step Functions run: its execution
// says how it ended) or whose runtime is alive (ClaimResume refuses to
// resume it anyway).
func (le *Leases) MarkResumed(ctx context.Context, origin, by string, now time.Time) error {
	_, end, err := le.runs.Get(ctx, origin)
	if err != nil || end != nil {
		return err
	}
	hb, err := le.Heartbeat(ctx, origin)
	if errors.Is(err, ErrNotFound) || err == nil && hb.Alive(now) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mark run %s resumed: %w", origin, err)
	}
	e := RunEnd{Status: StatusCrashed, End: hb.Beat.UTC(), ResumedBy: by,
		Error: fmt.Sprintf("the runtime stopped without recording an end (%s); resumed by run %s", hb, by)}
	if err := le.runs.PutEnd(ctx, origin, e); err != nil {
		return fmt.Errorf("mark run %s resumed: %w", origin, err)
	}
	return nil
}
