package datastore

import "errors"

// Store is the entry point to one flow's part of a datastore on a
// Backend. It holds no data itself: each concern is a part with its own
// contract, and a reader names the part it uses:
//
//   - Runs: the run and end records, and the flow's run index.
//   - Attempts: the attempt records, the run's attempt index, and the
//     listing of a run's steps and tasks.
//   - Logs: the output streams of attempts, whole or in parts.
//   - Blobs: content-addressed, verified artifact bytes.
//   - Leases: the heartbeats of running runtimes and the claims of
//     resumes.
//   - Cache: the step cache, cache key to the succeeded attempt that
//     serves it.
//
// VerifyRun and Repair check and mend a run across the parts. A Store and
// its parts are safe for concurrent use; records are written once and
// never rewritten (a heartbeat excepted), so they need no locking and suit
// object stores like S3.
type Store struct {
	layout
	runs     *Runs
	attempts *Attempts
	logs     *Logs
	blobs    *Blobs
	leases   *Leases
	cache    *Cache
}

// NewStore returns a Store for flow on b.
func NewStore(b Backend, flow string) *Store {
	l := layout{b: b, flow: flow}
	runs := &Runs{layout: l}
	return &Store{
		layout:   l,
		runs:     runs,
		attempts: &Attempts{layout: l},
		logs:     &Logs{layout: l},
		blobs:    &Blobs{layout: l},
		leases:   &Leases{layout: l, runs: runs},
		cache:    &Cache{layout: l},
	}
}

// Flow returns the flow name.
func (s *Store) Flow() string { return s.flow }

// Backend returns the underlying backend.
func (s *Store) Backend() Backend { return s.b }

// Runs returns the part that holds the flow's run records.
func (s *Store) Runs() *Runs { return s.runs }

// Attempts returns the part that holds the attempt records and the
// attempt index of the flow's runs.
func (s *Store) Attempts() *Attempts { return s.attempts }

// Logs returns the part that holds the output of the flow's attempts.
func (s *Store) Logs() *Logs { return s.logs }

// Blobs returns the part that holds the flow's content-addressed blobs.
func (s *Store) Blobs() *Blobs { return s.blobs }

// Leases returns the part that holds the heartbeats and resume claims of
// the flow's runs.
func (s *Store) Leases() *Leases { return s.leases }

// Cache returns the part that holds the flow's step cache.
func (s *Store) Cache() *Cache { return s.cache }

// IsNotFound reports whether err says an object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
