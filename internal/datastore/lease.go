package datastore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Lease is the liveness record of a runtime process: which host and
// process runs something, and when it last said so. The local runtime
// keeps one per run at "<flow>/runs/<run>/heartbeat.json", rewritten every
// HeartbeatInterval; a resume claims its origin with one at
// "<flow>/runs/<origin>/resumes/<new run>.json".
type Lease struct {
	Host string    `json:"host"`
	PID  int       `json:"pid"`
	Beat time.Time `json:"beat"`
	// Run is the run the process runs (for a resume claim, the new run).
	Run string `json:"run"`
}

// How often a runtime renews its lease, and how old a lease may grow
// before its holder counts as gone although its process cannot be checked
// (it runs on another host).
const (
	HeartbeatInterval = 10 * time.Second
	HeartbeatExpiry   = 6 * HeartbeatInterval
)

// NewLease returns a lease of this process for run, beating now.
func NewLease(run string) Lease {
	host, _ := os.Hostname()
	return Lease{Host: host, PID: os.Getpid(), Beat: time.Now().UTC(), Run: run}
}

// Alive reports whether the lease's holder is alive as seen from this
// process at now: a holder on this host whose process is gone is dead at
// once; any other is alive until its beat is older than HeartbeatExpiry.
func (l Lease) Alive(now time.Time) bool {
	if host, err := os.Hostname(); err == nil && host == l.Host && l.PID > 0 && !processExists(l.PID) {
		return false
	}
	return now.Sub(l.Beat) <= HeartbeatExpiry
}

// String describes the holder for messages: "pid 123 on host h, 4s ago".
func (l Lease) String() string {
	return fmt.Sprintf("pid %d on host %s, last heartbeat %s ago", l.PID, l.Host, time.Since(l.Beat).Round(time.Second))
}

// PutHeartbeat writes (or renews) the run's heartbeat.
func (s *Store) PutHeartbeat(ctx context.Context, l Lease) error {
	dir, err := s.runDir(l.Run)
	if err != nil {
		return fmt.Errorf("put heartbeat: %w", err)
	}
	return s.putJSON(ctx, dir+"heartbeat.json", l)
}

// Heartbeat returns the run's heartbeat; a run without one (a run of
// Step Functions, or of a Stepflow before heartbeats) wraps ErrNotFound.
func (s *Store) Heartbeat(ctx context.Context, run string) (Lease, error) {
	dir, err := s.runDir(run)
	if err != nil {
		return Lease{}, fmt.Errorf("get heartbeat: %w", err)
	}
	var l Lease
	err = s.getJSON(ctx, dir+"heartbeat.json", &l)
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
func (s *Store) ClaimResume(ctx context.Context, origin string, l Lease) (release func(), err error) {
	dir, err := s.runDir(origin)
	if err != nil {
		return nil, fmt.Errorf("claim run: %w", err)
	}
	now := time.Now()
	if _, end, err := s.Run(ctx, origin); err == nil && end == nil {
		if hb, err := s.Heartbeat(ctx, origin); err == nil && hb.Alive(now) {
			return nil, fmt.Errorf("%w: run %s is still running (%s); wait for it to end, or stop that process first", ErrBusy, origin, hb)
		}
	}
	if err := checkElem("run id", l.Run); err != nil {
		return nil, fmt.Errorf("claim run: %w", err)
	}
	mine := dir + "resumes/" + l.Run + ".json"
	if err := s.putJSON(ctx, mine, l); err != nil {
		return nil, fmt.Errorf("claim run %s: %w", origin, err)
	}
	release = func() { _ = s.b.Remove(context.WithoutCancel(ctx), mine) }
	var names []string
	err = s.b.List(ctx, dir+"resumes/", func(name string, _ int64) error {
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
		if err := s.getJSON(ctx, name, &other); err != nil {
			continue // a damaged claim holds nothing
		}
		if s.resumeAlive(ctx, other, now) {
			release()
			return nil, fmt.Errorf("%w: run %s is being resumed by run %s (%s); wait for that resume to end", ErrBusy, origin, other.Run, other)
		}
	}
	return release, nil
}

// resumeAlive reports whether the resume holding claim c still runs.
func (s *Store) resumeAlive(ctx context.Context, c Lease, now time.Time) bool {
	if _, end, err := s.Run(ctx, c.Run); err == nil && end != nil {
		return false
	}
	if hb, err := s.Heartbeat(ctx, c.Run); err == nil {
		return hb.Alive(now)
	}
	return c.Alive(now)
}
