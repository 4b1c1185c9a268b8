package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
)

// Names of a task's output streams, for Task.Log.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// Task is one task of a step, as of one attempt (by default its latest
// finished attempt).
type Task struct {
	Flow string
	Run  string
	Step string
	ID   string // "0" outside a foreach, else the index stack joined by "-"

	// Attempt is the attempt number (0 for the first try) the other fields
	// describe.
	Attempt int
	// Status is StatusSucceeded or StatusFailed, or StatusRunning when no
	// attempt finished yet.
	Status   string
	Start    time.Time
	End      time.Time
	ExitCode int
	Error    string // why a failed attempt failed
	// Inputs are the parent tasks' pathspecs "run/step/task".
	Inputs []string
	// Indices is the task's foreach index stack, outermost first.
	Indices []int
	// ForeachWidth is the number of tasks a foreach step started.
	ForeachWidth int
	// SwitchTarget is the step a switch step chose.
	SwitchTarget string
	// Origin is the pathspec of the task this one was reused from by resume,
	// or "".
	Origin string
	// CachedFrom is, for a task found in the step cache (it ran no
	// process), the pathspec "run/step/task" of the task it reused, or "".
	CachedFrom string
	// CacheKey is the task's cache key when its step is cached (loaded
	// tasks only: Progress leaves it empty).
	CacheKey string

	refs map[string]datastore.ArtifactRef
	card string // blob hash of the attempt's card
	f    *Flow
}

// Pathspec returns "Flow/Run/Step/Task".
func (t *Task) Pathspec() string { return t.Flow + "/" + t.Run + "/" + t.Step + "/" + t.ID }

// Duration returns how long the attempt took, or 0 if it did not finish.
func (t *Task) Duration() time.Duration {
	if t.End.IsZero() || t.Start.IsZero() {
		return 0
	}
	return t.End.Sub(t.Start)
}

// Artifacts returns the names of the attempt's artifacts, sorted.
func (t *Task) Artifacts() []string {
	names := make([]string, 0, len(t.refs))
	for n := range t.refs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Artifact reads the named artifact of the attempt. The whole encoded value
// is read (and verified) once; Value, JSON and String then decode it.
func (t *Task) Artifact(ctx context.Context, name string) (*Artifact, error) {
	ref, ok := t.refs[name]
	if !ok {
		return nil, notFound("task %s (attempt %d) has no artifact %q (its artifacts: %s)",
			t.Pathspec(), t.Attempt, name, listOf(t.Artifacts()))
	}
	data, err := t.f.s.Blobs().Get(ctx, ref.Hash)
	if err != nil {
		return nil, fmt.Errorf("artifact %s of %s: %w", name, t.Pathspec(), blobErr(err))
	}
	return &Artifact{
		Name: name, Type: ref.Type, Encoding: ref.Encoding, Size: ref.Size, Hash: ref.Hash,
		task: t.Pathspec(), data: data,
	}, nil
}

// Info describes the named artifact as the attempt's record holds it
// (Name, Type, Encoding, Size, Hash), reading nothing else; Kind, Elem
// and Len are left empty (Summary reads them).
func (t *Task) Info(name string) (Summary, error) {
	ref, ok := t.refs[name]
	if !ok {
		return Summary{}, notFound("task %s (attempt %d) has no artifact %q (its artifacts: %s)",
			t.Pathspec(), t.Attempt, name, listOf(t.Artifacts()))
	}
	return Summary{Name: name, Type: ref.Type, Encoding: ref.Encoding, Size: ref.Size, Hash: ref.Hash, Len: -1, FileName: ref.FileName}, nil
}

// Summary describes an artifact without decoding its value: its kind and
// length are read from the first bytes of the stored value.
type Summary struct {
	Name     string
	Type     string // the Go type of the flow's field
	Encoding string
	Size     int64 // encoded size in bytes
	Hash     string
	// Kind is "array" (numeric), "list", "map", "struct", "string",
	// "bytes", "scalar", "null" or "json" (a JSON-encoded artifact).
	Kind string
	Elem string // an array's element type ("float64")
	Len  int64  // elements, entries, fields or bytes; -1 when unknown
	// FileName is the base name of the file a stepflow.File artifact was
	// stored from ("scores-1234.csv"); "" for other artifacts and for
	// files stored before Stepflow recorded it.
	FileName string
}

// String renders the summary: "[]float64, array of 1000 float64, 8.0 KiB".
func (s Summary) String() string {
	as := artifact.Summary{Kind: s.Kind, Elem: s.Elem, Len: s.Len}
	return fmt.Sprintf("%s, %s, %s", s.Type, as, FormatSize(s.Size))
}

// FormatSize renders a byte count as summaries show it: "256.0 MiB",
// "12 bytes".
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Summary reads the summary of the named artifact: only the first bytes of
// its blob, so it costs the same for a 1 GiB array as for an int.
func (t *Task) Summary(ctx context.Context, name string) (Summary, error) {
	ref, ok := t.refs[name]
	if !ok {
		return Summary{}, notFound("task %s (attempt %d) has no artifact %q (its artifacts: %s)",
			t.Pathspec(), t.Attempt, name, listOf(t.Artifacts()))
	}
	s := Summary{Name: name, Type: ref.Type, Encoding: ref.Encoding, Size: ref.Size, Hash: ref.Hash, FileName: ref.FileName}
	rc, size, err := t.f.s.Blobs().Open(ctx, ref.Hash)
	if err != nil {
		return Summary{}, fmt.Errorf("artifact %s of %s: %w", name, t.Pathspec(), blobErr(err))
	}
	defer rc.Close()
	as, err := artifact.Summarize(rc, size, ref.Encoding)
	if err != nil {
		return Summary{}, fmt.Errorf("artifact %s of %s: %w", name, t.Pathspec(), err)
	}
	s.Kind, s.Elem, s.Len = as.Kind, as.Elem, as.Len
	return s, nil
}

// Open opens the named artifact's encoded bytes for streaming (see
// Artifact.Bytes for what they are) and returns their length. The reader
// verifies the content when it reaches the end: read it to io.EOF before
// trusting it. The caller closes it.
func (t *Task) Open(ctx context.Context, name string) (io.ReadCloser, int64, error) {
	ref, ok := t.refs[name]
	if !ok {
		return nil, 0, notFound("task %s (attempt %d) has no artifact %q (its artifacts: %s)",
			t.Pathspec(), t.Attempt, name, listOf(t.Artifacts()))
	}
	rc, size, err := t.f.s.Blobs().Open(ctx, ref.Hash)
	if err != nil {
		return nil, 0, fmt.Errorf("artifact %s of %s: %w", name, t.Pathspec(), blobErr(err))
	}
	return rc, size, nil
}

// HasCard reports whether the attempt saved a card (stepflow.Context.Card).
func (t *Task) HasCard() bool { return t.card != "" }

// Card reads the card the attempt saved; a task without one is not found.
// A card is data (package card); `stepflow card view` and `stepflow ui`
// render it as HTML. An attempt still running has no saved card yet: Card
// reads the one its step last refreshed (LiveCard), if any.
func (t *Task) Card(ctx context.Context) (*card.Card, error) {
	if t.card == "" && t.Status == StatusRunning {
		k, _, err := t.LiveCard(ctx)
		return k, err
	}
	if t.card == "" {
		return nil, notFound("task %s (attempt %d) has no card: its step added nothing to c.Card()", t.Pathspec(), t.Attempt)
	}
	data, err := t.f.s.Blobs().Get(ctx, t.card)
	if err != nil {
		return nil, fmt.Errorf("card of %s: %w", t.Pathspec(), blobErr(err))
	}
	k := &card.Card{}
	if err := json.Unmarshal(data, k); err != nil {
		return nil, fmt.Errorf("card of %s: %w", t.Pathspec(), err)
	}
	return k, nil
}

// LiveCard reads the card a running attempt's step last refreshed
// (stepflow.Context.RefreshCard) and its version, which changes with
// every refresh that changed it: a viewer polls CardVersion and reads the
// card again when it changes. An attempt that refreshed none, or that
// ended (its record holds the final card: Card), has none: an error
// wrapping ErrNotFound.
func (t *Task) LiveCard(ctx context.Context) (*card.Card, string, error) {
	data, version, err := t.f.s.Attempts().LiveCard(ctx, t.Run, t.Step, t.ID, t.Attempt)
	if errors.Is(err, ErrNotFound) {
		return nil, "", notFound("task %s (attempt %d) has no card yet: its step has not refreshed one (c.RefreshCard)", t.Pathspec(), t.Attempt)
	}
	if err != nil {
		return nil, "", err
	}
	k := &card.Card{}
	if err := json.Unmarshal(data, k); err != nil {
		return nil, "", fmt.Errorf("live card of %s: %w: %v", t.Pathspec(), ErrCorrupt, err)
	}
	return k, version, nil
}

// CardVersion returns a version of the attempt's card that changes when
// the card does: the hash of its saved card, or for a running attempt the
// version of its live card; "" when it has none (yet).
func (t *Task) CardVersion(ctx context.Context) (string, error) {
	if t.card != "" || t.Status != StatusRunning {
		return t.card, nil
	}
	_, version, err := t.f.s.Attempts().LiveCard(ctx, t.Run, t.Step, t.ID, t.Attempt)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return version, err
}

// Log opens one output stream (Stdout or Stderr) of an attempt of the task;
// attempt < 0 means t.Attempt. The caller closes the reader.
//
// A task reused by resume (Origin set) ran in its origin run: its attempt
// t.Attempt has no logs of its own, and Log opens those of the task it was
// reused from (OriginTask), as the logs command does; so for a task found
// in the step cache (CachedFrom set, CachedTask). Its other attempts,
// which failed before the resume, keep their own.
func (t *Task) Log(ctx context.Context, attempt int, stream string) (io.ReadCloser, error) {
	if stream != Stdout && stream != Stderr {
		return nil, fmt.Errorf("log stream %q is not valid: use %q or %q", stream, Stdout, Stderr)
	}
	if attempt < 0 {
		attempt = t.Attempt
	}
	if t.Origin != "" && attempt == t.Attempt {
		o, err := t.OriginTask(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s log of %s, reused by resume from %s: %w", stream, t.Pathspec(), t.Origin, err)
		}
		return o.Log(ctx, -1, stream)
	}
	if t.CachedFrom != "" && attempt == t.Attempt {
		o, err := t.CachedTask(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s log of %s, found in the step cache from %s: %w", stream, t.Pathspec(), t.CachedFrom, err)
		}
		return o.Log(ctx, -1, stream)
	}
	rc, err := t.f.s.Logs().Open(ctx, t.Run, t.Step, t.ID, attempt, stream)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound("task %s has no %s log for attempt %d", t.Pathspec(), stream, attempt)
	}
	return rc, err
}

// OriginTask returns the task t was reused from by resume (t.Origin), as
// of its latest finished attempt: the task that ran and wrote the logs.
// A task that was not reused has no origin: an error wrapping
// ErrNotFound.
func (t *Task) OriginTask(ctx context.Context) (*Task, error) {
	if t.Origin == "" {
		return nil, notFound("task %s was not reused by resume: it has no origin", t.Pathspec())
	}
	run, step, id, ok := splitOrigin(t.Origin)
	if !ok {
		return nil, fmt.Errorf("task %s: %w: its origin %q is not RUN/STEP/TASK", t.Pathspec(), ErrCorrupt, t.Origin)
	}
	r, err := t.f.Run(ctx, run)
	if err != nil {
		return nil, err
	}
	return r.Task(ctx, step, id)
}

// CachedTask returns the task t reused from the step cache (t.CachedFrom),
// as of its latest finished attempt: the task that ran and wrote the logs.
// A task not found in the cache has none: an error wrapping ErrNotFound.
func (t *Task) CachedTask(ctx context.Context) (*Task, error) {
	if t.CachedFrom == "" {
		return nil, notFound("task %s was not found in the step cache: it ran", t.Pathspec())
	}
	run, step, id, ok := splitOrigin(t.CachedFrom)
	if !ok {
		return nil, fmt.Errorf("task %s: %w: its cached-from %q is not RUN/STEP/TASK", t.Pathspec(), ErrCorrupt, t.CachedFrom)
	}
	r, err := t.f.Run(ctx, run)
	if err != nil {
		return nil, err
	}
	return r.Task(ctx, step, id)
}

// splitOrigin splits an origin pathspec "run/step/task".
func splitOrigin(p string) (run, step, id string, ok bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// blobErr is the error of reading a blob a record names: a missing one is
// damage (ErrCorrupt), not a thing that does not exist (ErrNotFound),
// since the record says it was stored.
func blobErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: the blob the record names is missing (%v)", ErrCorrupt, err)
	}
	return err
}

// Artifact is one artifact value of a task.
type Artifact struct {
	Name     string
	Type     string // the Go type of the flow's field, e.g. "[]string"
	Encoding string // "binary" (see docs/datastore.md), "bytes" (raw []byte) or "json" (older artifacts)
	Size     int64  // encoded size in bytes
	Hash     string // content hash of the encoded value

	task string
	data []byte
}

// Value decodes the artifact into ptr, a non-nil pointer to a value of the
// field's type or of a type it fits (a struct with a subset of the fields,
// a slice of wider numbers, map[string]any, ...). A "bytes" artifact
// decodes into a *[]byte or a *any.
func (a *Artifact) Value(ptr any) error {
	if p, ok := ptr.(*any); ok && p != nil && a.Encoding == artifact.Bytes {
		*p = slices.Clone(a.data)
		return nil
	}
	if err := artifact.Decode(a.data, a.Encoding, reflect.ValueOf(ptr)); err != nil {
		return fmt.Errorf("artifact %s of %s: %w", a.Name, a.task, err)
	}
	return nil
}

// Bytes returns the encoded value: the binary encoding, JSON text, or the
// raw bytes of a "bytes" artifact. The caller must not modify it.
func (a *Artifact) Bytes() []byte { return a.data }

// JSON returns the value as JSON: the stored JSON itself, the JSON form of
// a binary artifact (NaN and ±Inf, which JSON lacks, as null), or for a
// "bytes" artifact the base64 string encoding/json gives a []byte.
func (a *Artifact) JSON() json.RawMessage {
	switch a.Encoding {
	case artifact.JSON:
		if json.Valid(a.data) {
			return json.RawMessage(a.data)
		}
	case artifact.Binary:
		if n, err := artifact.ReadTree(bytes.NewReader(a.data), int64(len(a.data))); err == nil {
			if b, err := artifact.AppendJSON(nil, n, false); err == nil {
				return b
			}
		}
	}
	b, _ := json.Marshal(a.data) // a []byte always marshals
	return b
}

// String renders the value for people: indented JSON (long arrays
// shortened), or a size and hex preview of a "bytes" artifact.
func (a *Artifact) String() string { return artifact.Pretty(a.data, a.Encoding) }

// FullString is String without shortening long arrays.
func (a *Artifact) FullString() string { return artifact.PrettyFull(a.data, a.Encoding) }
