package datastore

import (
	"fmt"
	"os"
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
