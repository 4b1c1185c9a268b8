package datastore

import "time"

// ArtifactRef points from an attempt to the blob holding one artifact.
type ArtifactRef struct {
	Hash     string `json:"hash"`     // blob hash (hex SHA-256 of the encoded bytes)
	Encoding string `json:"encoding"` // artifact encoding: "json" | "bytes"
	Size     int64  `json:"size"`     // encoded (uncompressed) size in bytes
	Type     string `json:"type"`     // Go type name of the field
	// FileName is the base name of the file a File artifact was stored
	// from (File.SetPath), which downloads and exports keep; "" for other
	// artifacts and for files stored before Stepflow recorded it.
	FileName string `json:"file_name,omitempty"`
}

// Attempt is the record of one finished task attempt, written last, at
// "<flow>/runs/<run>/<step>/<task>/<attempt>/attempt.json": its presence means
// the attempt finished.
type Attempt struct {
	Run       string                 `json:"run"`
	Step      string                 `json:"step"`
	Task      string                 `json:"task"`
	Attempt   int                    `json:"attempt"`
	Status    string                 `json:"status"` // "succeeded" | "failed"
	Start     time.Time              `json:"start"`
	End       time.Time              `json:"end"`
	ExitCode  int                    `json:"exit_code"`
	Error     string                 `json:"error,omitempty"`
	Artifacts map[string]ArtifactRef `json:"artifacts,omitempty"`
	// Inputs are the parent pathspecs "run/step/task".
	Inputs []string `json:"inputs,omitempty"`
	// Indices is the foreach index stack.
	Indices []int `json:"indices,omitempty"`
	// ForeachWidth is set by foreach steps: the number of child tasks.
	ForeachWidth int `json:"foreach_width,omitempty"`
	// SwitchTarget is set by switch steps: the chosen step.
	SwitchTarget string `json:"switch_target,omitempty"`
	// Origin is the origin pathspec when the attempt was cloned from another
	// run by resume, else "".
	Origin string `json:"origin,omitempty"`
	// Caught is the failure recorded in the step's catch field when this
	// attempt ran the catch path instead of the step.
	Caught string `json:"caught,omitempty"`
	// Env holds facts about where the attempt ran (AWS_BATCH_JOB_ID, ...).
	Env map[string]string `json:"env,omitempty"`
	// Card is the blob hash of the report the step added to its card
	// (package card's JSON), or "" when it added none.
	Card string `json:"card,omitempty"`
	// CacheKey is the task's cache key (docs/runtime.md, "Step caching")
	// when its step is cached: on an attempt that ran, the key its success
	// was stored under; on a cache hit, the key it was found by.
	CacheKey string `json:"cache_key,omitempty"`
	// CachedFrom is, on a cache hit, the attempt whose record and
	// artifacts this one reuses, "run/step/task/attempt"; else "". A hit
	// ran no process.
	CachedFrom string `json:"cached_from,omitempty"`
}
