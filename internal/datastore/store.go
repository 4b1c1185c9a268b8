package datastore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	Origin     string   `json:"origin,omitempty"`
	ResumeStep string   `json:"resume_step,omitempty"`
	User       string   `json:"user,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	Runtime    string   `json:"runtime"` // "local" | "step-functions"
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
	// a resume takes it over (MarkResumed), so that it no longer reads
	// as one to resume.
	ResumedBy string `json:"resumed_by,omitempty"`
}

// ArtifactRef points from an attempt to the blob holding one artifact.
type ArtifactRef struct {
	Hash     string `json:"hash"`     // blob hash (hex SHA-256 of the encoded bytes)
	Encoding string `json:"encoding"` // artifact encoding: "json" | "bytes"
	Size     int64  `json:"size"`     // encoded (uncompressed) size in bytes
	Type     string `json:"type"`     // Go type name of the field
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
}

// The statuses of runs and attempts.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	// StatusCrashed is the end status of a run whose runtime died and
	// which a resume took over (RunEnd.ResumedBy).
	StatusCrashed = "crashed"
)

// IsNotFound reports whether err says an object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// Store reads and writes the records, logs and blobs of one flow on a
// Backend. It is safe for concurrent use; records are written once and never
// rewritten, so it needs no locking and suits object stores like S3.
type Store struct {
	b    Backend
	flow string
	// damaged holds the hashes of blobs a reader found damaged (see
	// blobIntact).
	damaged sync.Map
}

// NewStore returns a Store for flow on b.
func NewStore(b Backend, flow string) *Store {
	return &Store{b: b, flow: flow}
}

// Flow returns the flow name.
func (s *Store) Flow() string { return s.flow }

// Backend returns the underlying backend.
func (s *Store) Backend() Backend { return s.b }

// checkElem validates one path element (flow, run id, step, task id).
func checkElem(kind, v string) error {
	if v == "" || strings.ContainsAny(v, "/\\\x00") || strings.HasPrefix(v, ".") {
		return fmt.Errorf("invalid %s %q: must be non-empty, without '/', '\\' or a leading '.'", kind, v)
	}
	return nil
}

func (s *Store) runDir(run string) (string, error) {
	if err := checkElem("flow name", s.flow); err != nil {
		return "", err
	}
	if err := checkElem("run id", run); err != nil {
		return "", err
	}
	return s.flow + "/runs/" + run + "/", nil
}

func (s *Store) attemptDir(run, step, task string, attempt int) (string, error) {
	dir, err := s.runDir(run)
	if err != nil {
		return "", err
	}
	if err := checkElem("step name", step); err != nil {
		return "", err
	}
	if err := checkElem("task id", task); err != nil {
		return "", err
	}
	if attempt < 0 {
		return "", fmt.Errorf("invalid attempt %d: must be >= 0", attempt)
	}
	return dir + step + "/" + task + "/" + strconv.Itoa(attempt) + "/", nil
}

func (s *Store) putJSON(ctx context.Context, key string, v any) error {
	data, err := encodeRecord(v)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := s.b.Save(ctx, key, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// maxRecordSize bounds what getJSON reads of a record: the largest, an
// attempt record of a join of a million inputs, is about 64 MiB; a larger
// object is damage (an edit, another file written over it), refused
// before it is read.
const maxRecordSize = 256 << 20

func (s *Store) getJSON(ctx context.Context, key string, v any) error {
	rc, err := s.b.Load(ctx, key)
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	defer rc.Close()
	var r io.Reader = rc
	if sz, ok := rc.(Sizer); ok && sz.Size() > maxRecordSize {
		return fmt.Errorf("get %s: %w: %d bytes, more than any record holds (%d MiB)", key, ErrCorrupt, sz.Size(), maxRecordSize>>20)
	} else if !ok {
		r = io.LimitReader(rc, maxRecordSize+1) // a size known is read in one buffer
	}
	data, err := readObject(r)
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	if len(data) > maxRecordSize {
		return fmt.Errorf("get %s: %w: more than any record holds (%d MiB)", key, ErrCorrupt, maxRecordSize>>20)
	}
	if err := decodeRecord(data, v); err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	return nil
}

// PutRun writes the run record. It is written once, when the run starts.
func (s *Store) PutRun(ctx context.Context, r Run) error {
	dir, err := s.runDir(r.ID)
	if err != nil {
		return fmt.Errorf("put run: %w", err)
	}
	if r.Flow != "" && r.Flow != s.flow {
		return fmt.Errorf("put run %s: record is for flow %q, store is for flow %q", r.ID, r.Flow, s.flow)
	}
	r.Flow = s.flow
	r.AttemptIndex = AttemptIndexVersion
	if err := s.putJSON(ctx, dir+"run.json", r); err != nil {
		return err
	}
	// The index lets Runs list runs without walking every task's objects.
	return s.b.Save(ctx, s.flow+"/index/"+r.ID, strings.NewReader(""))
}

// PutRunEnd writes the run's end record. It is written once, when the run
// ends.
func (s *Store) PutRunEnd(ctx context.Context, run string, e RunEnd) error {
	dir, err := s.runDir(run)
	if err != nil {
		return fmt.Errorf("put run end: %w", err)
	}
	return s.putJSON(ctx, dir+"end.json", e)
}

// Run returns the run record and its end record, or a nil *RunEnd while the
// run is going (or after it crashed). A missing run wraps ErrNotFound.
func (s *Store) Run(ctx context.Context, id string) (Run, *RunEnd, error) {
	dir, err := s.runDir(id)
	if err != nil {
		return Run{}, nil, fmt.Errorf("get run: %w", err)
	}
	var r Run
	if err := s.getJSON(ctx, dir+"run.json", &r); err != nil {
		return Run{}, nil, err
	}
	if r.ID != id {
		return Run{}, nil, fmt.Errorf("get %srun.json: %w: it names run %q", dir, ErrCorrupt, r.ID)
	}
	var e RunEnd
	switch err := s.getJSON(ctx, dir+"end.json", &e); {
	case errors.Is(err, ErrNotFound):
		return r, nil, nil
	case err != nil:
		return Run{}, nil, err
	}
	return r, &e, nil
}

// Runs returns the flow's readable run records, newest first (by Start,
// then by ID descending). A run whose record is damaged is left out; use
// ListRuns to hear about it.
func (s *Store) Runs(ctx context.Context) ([]Run, error) {
	runs, _, err := s.ListRuns(ctx)
	return runs, err
}

// DamagedRun is a run of the index whose record cannot be read.
type DamagedRun struct {
	ID  string
	Err error // wraps ErrCorrupt (or ErrNotFound: indexed, but no record)
}

// ListRuns returns the flow's run records, newest first (by Start, then by
// ID descending), and apart from them the runs whose record is damaged or
// missing, in id order: one bad record does not hide the others. Errors
// of the backend itself (it cannot be listed or read) stop the listing.
//
// It lists the flow's run index, "<flow>/index/", and reads one record per
// run.
func (s *Store) ListRuns(ctx context.Context) ([]Run, []DamagedRun, error) {
	if err := checkElem("flow name", s.flow); err != nil {
		return nil, nil, fmt.Errorf("list runs: %w", err)
	}
	prefix := s.flow + "/runs/"
	var ids []string
	err := s.b.List(ctx, s.flow+"/index/", func(name string, _ int64) error {
		ids = append(ids, strings.TrimPrefix(name, s.flow+"/index/"))
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list runs of %s: %w", s.flow, err)
	}
	runs := make([]Run, 0, len(ids))
	var damaged []DamagedRun
	for _, id := range ids {
		var r Run
		err := checkElem("run id", id)
		if err != nil {
			err = fmt.Errorf("index entry %s/index/%s: %w: %v", s.flow, id, ErrCorrupt, err)
		} else {
			err = s.getJSON(ctx, prefix+id+"/run.json", &r)
		}
		if err == nil && r.ID != id {
			err = fmt.Errorf("get %srun.json: %w: it names run %q", prefix+id+"/", ErrCorrupt, r.ID)
		}
		switch {
		case err == nil:
			runs = append(runs, r)
		case errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotFound):
			damaged = append(damaged, DamagedRun{ID: id, Err: err})
		default:
			return nil, nil, err
		}
	}
	slices.SortStableFunc(runs, func(a, b Run) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return runs, damaged, nil
}

// Succeeded returns the latest attempt of a task when it succeeded; ok is
// false when the task has no attempt or its latest one failed.
func (s *Store) Succeeded(ctx context.Context, run, step, task string) (a Attempt, ok bool, err error) {
	a, err = s.LatestAttempt(ctx, run, step, task)
	if errors.Is(err, ErrNotFound) {
		return Attempt{}, false, nil
	}
	if err != nil {
		return Attempt{}, false, err
	}
	return a, a.Status == StatusSucceeded, nil
}

// PutAttempt writes the attempt record, then its entry in the run's
// attempt index. Write it last, after the attempt's blobs and logs: the
// record's presence means the attempt finished.
func (s *Store) PutAttempt(ctx context.Context, a Attempt) error {
	dir, err := s.attemptDir(a.Run, a.Step, a.Task, a.Attempt)
	if err != nil {
		return fmt.Errorf("put attempt: %w", err)
	}
	if err := s.putJSON(ctx, dir+"attempt.json", a); err != nil {
		return err
	}
	if err := s.putIndexEntry(ctx, a.Run, indexEntryOf(a)); err != nil {
		return fmt.Errorf("put attempt %s/%s/%s/%d: %w", a.Run, a.Step, a.Task, a.Attempt, err)
	}
	return nil
}

// Attempt returns one attempt record; a missing one (not finished, or never
// started) wraps ErrNotFound.
func (s *Store) Attempt(ctx context.Context, run, step, task string, attempt int) (Attempt, error) {
	dir, err := s.attemptDir(run, step, task, attempt)
	if err != nil {
		return Attempt{}, fmt.Errorf("get attempt: %w", err)
	}
	var a Attempt
	if err := s.getJSON(ctx, dir+"attempt.json", &a); err != nil {
		return Attempt{}, err
	}
	return a, nil
}

// LatestAttempt returns the finished attempt with the highest attempt number,
// whatever its status, or an error wrapping ErrNotFound if none finished.
//
// It lists the attempt numbers of the task, one level (Backend.Dirs), and
// reads the record of the highest that has one: a task process numbers its
// attempt and finds its parents' with a directory read and a record read.
func (s *Store) LatestAttempt(ctx context.Context, run, step, task string) (Attempt, error) {
	dir, err := s.attemptDir(run, step, task, 0)
	if err != nil {
		return Attempt{}, fmt.Errorf("get latest attempt: %w", err)
	}
	dir = dir[:len(dir)-len("0/")]
	var nums []int
	err = s.b.Dirs(ctx, dir, func(elem string) error {
		if n, ok := attemptNumber(elem); ok {
			nums = append(nums, n)
		}
		return nil
	})
	if err != nil {
		return Attempt{}, fmt.Errorf("get latest attempt of %s: %w", dir, err)
	}
	// The directory order is lexical ("10" < "9"): newest first by number.
	slices.Sort(nums)
	for _, n := range slices.Backward(nums) {
		a, err := s.Attempt(ctx, run, step, task, n)
		if errors.Is(err, ErrNotFound) {
			continue // started, not finished
		}
		return a, err
	}
	return Attempt{}, &noAttemptError{task: dir}
}

// attemptNumber reads an attempt number, written in decimal without
// leading zeros.
func attemptNumber(elem string) (int, bool) {
	if elem == "" || len(elem) > 18 || (elem[0] == '0' && len(elem) > 1) {
		return 0, false
	}
	n := 0
	for i := range len(elem) {
		c := elem[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// noAttemptError is LatestAttempt's error for a task without a finished
// attempt, which is how every task's first attempt starts: it wraps
// ErrNotFound, and its message is made only when someone shows it.
type noAttemptError struct {
	task string // "<flow>/runs/<run>/<step>/<task>/"
}

func (e *noAttemptError) Error() string {
	return "get latest attempt of " + strings.TrimSuffix(e.task, "/") + ": " + ErrNotFound.Error()
}

func (e *noAttemptError) Unwrap() error { return ErrNotFound }

// Steps returns the names of the steps of run that have stored any attempt
// object, sorted. It lists one level of the run's folder (Backend.Dirs: a
// directory read, an S3 delimiter listing), not the run's objects, so its
// cost does not grow with the number of tasks: the folders of a run are its
// steps' and two of the layout's own, attempt-index (a hyphen: no step's
// name) and resumes (a reserved step name).
func (s *Store) Steps(ctx context.Context, run string) ([]string, error) {
	dir, err := s.runDir(run)
	if err != nil {
		return nil, fmt.Errorf("list steps: %w", err)
	}
	var steps []string
	err = s.b.Dirs(ctx, dir, func(elem string) error {
		if elem != strings.TrimSuffix(indexDir, "/") && elem != "resumes" {
			steps = append(steps, elem)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list steps of %s: %w", dir, err)
	}
	slices.Sort(steps)
	return slices.Compact(steps), nil
}

// HasTask reports whether task of step has stored any attempt object,
// listing one level of the task's folder (not its siblings).
func (s *Store) HasTask(ctx context.Context, run, step, task string) (bool, error) {
	dir, err := s.attemptDir(run, step, task, 0)
	if err != nil {
		return false, fmt.Errorf("find task: %w", err)
	}
	dir = dir[:len(dir)-len("0/")]
	found := false
	err = s.b.Dirs(ctx, dir, func(string) error {
		found = true
		return errStopListing
	})
	if err != nil && err != errStopListing {
		return false, fmt.Errorf("find task %s: %w", dir, err)
	}
	return found, nil
}

// errStopListing ends a listing early.
var errStopListing = errors.New("stop listing")

// Tasks returns the task ids of step in run, in numeric order of their
// foreach index paths ("2" < "10", "3-1-2" < "3-10").
func (s *Store) Tasks(ctx context.Context, run, step string) ([]string, error) {
	dir, err := s.runDir(run)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	if err := checkElem("step name", step); err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	dir += step + "/"
	var tasks []string
	err = s.b.List(ctx, dir, func(name string, _ int64) error {
		parts := strings.Split(strings.TrimPrefix(name, dir), "/")
		if len(parts) == 3 && (len(tasks) == 0 || tasks[len(tasks)-1] != parts[0]) {
			tasks = append(tasks, parts[0])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", dir, err)
	}
	slices.SortFunc(tasks, CompareTaskIDs)
	return slices.Compact(tasks), nil
}

// LatestAttempts returns the task ids of step in run, ordered as Tasks
// orders them, and for each its highest finished attempt number (-1 when
// none finished), from one listing of the step: a view of a wide step
// reads each task's record without listing each task.
func (s *Store) LatestAttempts(ctx context.Context, run, step string) ([]string, map[string]int, error) {
	dir, err := s.runDir(run)
	if err != nil {
		return nil, nil, fmt.Errorf("list tasks: %w", err)
	}
	if err := checkElem("step name", step); err != nil {
		return nil, nil, fmt.Errorf("list tasks: %w", err)
	}
	dir += step + "/"
	latest := map[string]int{}
	var tasks []string
	err = s.b.List(ctx, dir, func(name string, _ int64) error {
		parts := strings.Split(strings.TrimPrefix(name, dir), "/")
		if len(parts) != 3 {
			return nil
		}
		n, ok := latest[parts[0]]
		if !ok {
			tasks = append(tasks, parts[0])
			n = -1
		}
		if parts[2] == "attempt.json" {
			if a, err := strconv.Atoi(parts[1]); err == nil && a >= 0 && strconv.Itoa(a) == parts[1] {
				n = max(n, a)
			}
		}
		latest[parts[0]] = n
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list tasks of %s: %w", dir, err)
	}
	slices.SortFunc(tasks, CompareTaskIDs)
	return tasks, latest, nil
}

// CompareTaskIDs orders task ids by their "-"-separated parts, numerically
// when both parts are decimal numbers and lexically otherwise.
func CompareTaskIDs(a, b string) int {
	pa, pb := strings.Split(a, "-"), strings.Split(b, "-")
	for i := range min(len(pa), len(pb)) {
		na, ea := strconv.ParseUint(pa[i], 10, 64)
		nb, eb := strconv.ParseUint(pb[i], 10, 64)
		var c int
		if ea == nil && eb == nil {
			c = cmp.Compare(na, nb)
		} else {
			c = strings.Compare(pa[i], pb[i])
		}
		if c != 0 {
			return c
		}
	}
	if c := cmp.Compare(len(pa), len(pb)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func logName(stream string) (string, error) {
	if stream != "stdout" && stream != "stderr" {
		return "", fmt.Errorf("invalid log stream %q: want \"stdout\" or \"stderr\"", stream)
	}
	return stream + ".log", nil
}

// PutLog stores one output stream ("stdout" or "stderr") of an attempt.
func (s *Store) PutLog(ctx context.Context, run, step, task string, attempt int, stream string, rd io.Reader) error {
	dir, err := s.attemptDir(run, step, task, attempt)
	if err != nil {
		return fmt.Errorf("put log: %w", err)
	}
	file, err := logName(stream)
	if err != nil {
		return fmt.Errorf("put log: %w", err)
	}
	if err := s.b.Save(ctx, dir+file, rd); err != nil {
		return fmt.Errorf("put log: %w", err)
	}
	return nil
}

// Log opens one output stream ("stdout" or "stderr") of an attempt: the
// log saved when the attempt ended or, while it runs (or when its
// supervisor died), the parts saved so far (PutLogPart) joined in order,
// which is the output up to the last part. A log with neither wraps
// ErrNotFound. The caller closes the reader.
func (s *Store) Log(ctx context.Context, run, step, task string, attempt int, stream string) (io.ReadCloser, error) {
	dir, err := s.attemptDir(run, step, task, attempt)
	if err != nil {
		return nil, fmt.Errorf("get log: %w", err)
	}
	file, err := logName(stream)
	if err != nil {
		return nil, fmt.Errorf("get log: %w", err)
	}
	rc, err := s.b.Load(ctx, dir+file)
	if err == nil {
		return rc, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("get log: %w", err)
	}
	parts, lerr := s.logParts(ctx, dir, stream)
	if lerr != nil {
		return nil, fmt.Errorf("get log: %w", lerr)
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("get log: %w", err)
	}
	return &partsReader{ctx: ctx, b: s.b, names: parts}, nil
}
