package datastore

import (
	"encoding/json"
	"time"
)

// Run is the record of one run, written once when the run starts, at
// "<flow>/runs/<run>/run.json".
type Run struct {
	Flow    string            `json:"flow"`
	ID      string            `json:"id"`
	Start   time.Time         `json:"start"`
	Params  map[string]string `json:"params,omitempty"`  // parameter name -> formatted value
	Configs map[string]string `json:"configs,omitempty"` // config name -> blob hash of the frozen value
	// Origin is the run id a resumed run was cloned from, or "".
	Origin     string `json:"origin,omitempty"`
	ResumeStep string `json:"resume_step,omitempty"`
	// Spin is, for a run of the spin command, the task or step it re-ran
	// against its past inputs: RUN/STEP/TASK or RUN/STEP (every task).
	Spin    string   `json:"spin,omitempty"`
	User    string   `json:"user,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	Runtime string   `json:"runtime"` // "local" | "step-functions"
	// Graph is the shape of the flow's graph (package graph's Shape, as
	// JSON), so viewers draw any run's graph without the flow's code.
	Graph json.RawMessage `json:"graph,omitempty"`
	// Options are the local runtime's flags the run was started with; a
	// resume reuses them unless given again.
	Options *RunOptions `json:"options,omitempty"`
	// Trigger says what started the run (docs/triggers.md): "type" is
	// schedule, user (with the "user"), event (with the "event" and its
	// "id") or run (with the "upstream" run's pathspec, its "status" and
	// the event's "id"); nil for a local run started without --event.
	Trigger map[string]string `json:"trigger,omitempty"`
	// AttemptIndex is the version of the run's attempt index
	// (AttemptIndexVersion), or 0 for runs recorded before Stepflow wrote
	// one: then only listing the run's objects finds its tasks.
	AttemptIndex int `json:"attempt_index,omitempty"`
}

// RunOptions are the local runtime's settings of a run.
type RunOptions struct {
	MaxWorkers   int  `json:"max_workers,omitempty"`
	MaxNumSplits int  `json:"max_num_splits,omitempty"`
	InProcess    bool `json:"in_process,omitempty"`
	// With are the run's --with values (where its steps ran: batch,
	// batch:KEY=VALUE,..., local), which its resume uses again unless
	// given its own.
	With []string `json:"with,omitempty"`
}

// RunEnd is the record written once when a run ends, at
// "<flow>/runs/<run>/end.json". It is absent while the run is going and
// after a crash.
type RunEnd struct {
	Status string    `json:"status"` // "succeeded" | "failed" | "crashed"
	End    time.Time `json:"end"`
	Error  string    `json:"error,omitempty"`
	// ResumedBy is the run that resumed a crashed run: a crashed run
	// gets its end record (status "crashed", End its last heartbeat) when
	// a resume takes it over (Leases.MarkResumed), so that it no longer reads
	// as one to resume.
	ResumedBy string `json:"resumed_by,omitempty"`
	// Cached is the number of tasks a local run found in the step cache
	// (docs/runtime.md, "Step caching"): they ran no process.
	Cached int `json:"cached,omitempty"`
}

// The statuses of runs and attempts.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	// StatusCrashed is the end status of a run whose runtime died and
	// which a resume took over (RunEnd.ResumedBy).
	StatusCrashed = "crashed"
)
