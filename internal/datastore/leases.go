package datastore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Leases holds the liveness records of a flow's runtimes: each locally
// running run's heartbeat, "<flow>/runs/<run>/heartbeat.json", the one
// record rewritten (whole, every HeartbeatInterval) while its run goes,
// and the claims of resumes, "<flow>/runs/<origin>/resumes/<new run>.json",
// written when a resume starts and removed when it ends. With the run
// records (Runs) they tell a running run from a crashed one, and keep two
// runtimes from resuming one run at once. It is safe for concurrent use.
type Leases struct {
	layout
	runs *Runs
}

// PutHeartbeat writes (or renews) the run's heartbeat.
func (le *Leases) PutHeartbeat(ctx context.Context, l Lease) error {
	dir, err := le.runDir(l.Run)
	if err != nil {
		return fmt.Errorf("put heartbeat: %w", err)
	}
	return le.putJSON(ctx, dir+"heartbeat.json", l)
}

// Heartbeat returns the run's heartbeat; a run without one (a run of
// Step Functions, or of a Stepflow before heartbeats) wraps ErrNotFound.
func (le *Leases) Heartbeat(ctx context.Context, run string) (Lease, error) {
	dir, err := le.runDir(run)
	if err != nil {
		return Lease{}, fmt.Errorf("get heartbeat: %w", err)
	}
	var l Lease
	err = le.getJSON(ctx, dir+"heartbeat.json", &l)
	return l, err
}

// ErrBusy is wrapped by ClaimResume when another live runtime is running
// or resuming the run.
var ErrBusy = errors.New("run is busy")

// ClaimResume claims origin for a resume by the new run of lease l, so
// that two runtimes never resume one run at once, and returns the
// function that gives the claim up. It refuses, with an error wrapping
// ErrBusy that names the holder, when the origin itself is still running
// (its heartbeat is alive) or another live resume holds a claim.
//
// Every resume writes its own claim object and then lists the claims, and
// goes on only if no other claim is live. Of two racing resumers at least
// one sees the other's claim (each writes before it lists, and listings
// are consistent), so they never both go on; in the rare exact race both
// refuse, and a retry succeeds. A claim is live while the resume it names
// has not ended and its heartbeat (or, before the run record exists, the
// claim) is alive.
func (le *Leases) ClaimResume(ctx context.Context, origin string, l Lease) (release func(), err error) {
	dir, err := le.runDir(origin)
	if err != nil {
		return nil, fmt.Errorf("claim run: %w", err)
	}
	now := time.Now()
	if _, end, err := le.runs.Get(ctx, origin); err == nil && end == nil {
		if hb, err := le.Heartbeat(ctx, origin); err == nil && hb.Alive(now) {
			return nil, fmt.Errorf("%w: run %s is still running (%s); wait for it to end, or stop that process first", ErrBusy, origin, hb)
		}
	}
	if err := checkElem("run id", l.Run); err != nil {
		return nil, fmt.Errorf("claim run: %w", err)
	}
	mine := dir + "resumes/" + l.Run + ".json"
	if err := le.putJSON(ctx, mine, l); err != nil {
		return nil, fmt.Errorf("claim run %s: %w", origin, err)
	}
	release = func() { _ = le.b.Remove(context.WithoutCancel(ctx), mine) }
	var names []string
	err = le.b.List(ctx, dir+"resumes/", func(name string, _ int64) error {
		if rest := strings.TrimPrefix(name, dir+"resumes/"); strings.HasSuffix(rest, ".json") && !strings.Contains(rest, "/") {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		release()
		return nil, fmt.Errorf("claim run %s: %w", origin, err)
	}
	for _, name := range names {
		if name == mine {
			continue
		}
		var other Lease
		if err := le.getJSON(ctx, name, &other); err != nil {
			continue // a damaged claim holds nothing
		}
		if le.resumeAlive(ctx, other, now) {
			release()
			return nil, fmt.Errorf("%w: run %s is being resumed by run %s (%s); wait for that resume to end", ErrBusy, origin, other.Run, other)
		}
	}
	return release, nil
}

// resumeAlive reports whether the resume holding claim c still runs.
func (le *Leases) resumeAlive(ctx context.Context, c Lease, now time.Time) bool {
	if _, end, err := le.runs.Get(ctx, c.Run); err == nil && end != nil {
		return false
	}
	if hb, err := le.Heartbeat(ctx, c.Run); err == nil {
		return hb.Alive(now)
	}
	return c.Alive(now)
}
