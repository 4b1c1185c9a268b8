// Package client reads what Stepflow runs leave in a datastore: flows, runs,
// steps, tasks, artifact values and task logs. It writes only a run's tags
// (Run.AddTags, Run.RemoveTags).
//
// A Client is opened on a datastore root (the directory local runs write to,
// ./.stepflow by default; OpenDefault opens the root the commands use,
// configured or not). From there:
//
//	c, err := client.Open(ctx, ".stepflow")
//	run, err := c.Flow("TrainFlow").Run(ctx, "latest")
//	task, err := run.Task(ctx, "pick", "0")
//	a, err := task.Artifact(ctx, "Best")
//	var best string
//	err = a.Value(&best)
//
// Everything is read from the stored records alone: no flow code and no
// graph is needed, so the client (and the stepflow inspector built on it)
// reads runs of any flow.
//
// A root is a directory or, in a program that imports package
// client/s3client (which links the AWS SDK), s3://bucket/prefix.
//
// Errors for things that do not exist (a flow, run, step, task, attempt,
// artifact or log) wrap ErrNotFound and name what was missing.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	_ "github.com/stepflow/stepflow/internal/datastore/local" // directories
	"github.com/stepflow/stepflow/internal/userconfig"
)

// ErrNotFound is wrapped by every error about a flow, run, step, task,
// attempt, artifact or log that does not exist. Test with errors.Is.
var ErrNotFound = datastore.ErrNotFound

// ErrCorrupt is wrapped by every error about a record or a blob that is
// damaged (it fails its checksum, is truncated, is not what its name
// says). `stepflow verify` names every damaged object of a run and
// `verify --repair` removes what resume can recompute. Test with
// errors.Is.
var ErrCorrupt = datastore.ErrCorrupt

// Run ids that name a run by its place among the flow's runs, in
// Flow.Run and in every pathspec of the CLI and the UI: Latest is the
// newest run, whatever its status (it may be running or have failed);
// LatestSuccessful the newest run that succeeded. Newest is by start time.
const (
	Latest           = "latest"
	LatestSuccessful = "latest-successful"
)

// Statuses of runs, tasks and steps.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	// StatusRunning means that no end was recorded and the run's runtime
	// is alive (its heartbeat is fresh and, on this host, its process
	// exists), or cannot be judged: a task whose run is going, a run of
	// an older Stepflow. A run on AWS Step Functions records its end only
	// when it succeeds: a failed or stopped one stays "running" here (its
	// execution status is authoritative).
	StatusRunning = "running"
	// StatusCrashed means that a local run has no end record and its
	// runtime is gone: its process no longer exists on this host, or its
	// heartbeat is older than a minute. Resume it to finish it.
	StatusCrashed = "crashed"
	// StatusDamaged means that a run's or task's record cannot be read (it
	// fails its checksum or is missing); Error says which record and why.
	// `stepflow verify` checks a run in full.
	StatusDamaged = "damaged"
)

// Client reads one datastore root. It is safe for concurrent use.
type Client struct {
	root string
	b    datastore.Backend
}

// An Option changes how Open reaches a datastore.
type Option func(*options)

type options struct{ getenv func(string) string }

// WithEnv makes Open read the datastore's settings (STEPFLOW_S3_ENDPOINT,
// STEPFLOW_S3_PATH_STYLE, STEPFLOW_REGION, AWS_REGION, ...) from getenv
// instead of the process environment.
func WithEnv(getenv func(string) string) Option { return func(o *options) { o.getenv = getenv } }

// Open returns a Client reading the datastore at root: a local directory,
// or s3://bucket[/prefix] in a program that imports package
// client/s3client. It never creates anything: a directory that does not
// exist is an error wrapping ErrNotFound. An S3 root is not contacted
// until the first read.
func Open(ctx context.Context, root string, opts ...Option) (*Client, error) {
	o := options{getenv: os.Getenv}
	for _, opt := range opts {
		opt(&o)
	}
	if root == "" {
		return nil, errors.New("datastore root is empty; give a directory (the default is .stepflow) or s3://bucket/prefix")
	}
	if datastore.Scheme(root) == datastore.FileScheme {
		fi, err := os.Stat(strings.TrimPrefix(root, "file://"))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound("datastore root %s does not exist (no run has written to it)", root)
		}
		if err != nil {
			return nil, fmt.Errorf("datastore root %s: %w", root, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("datastore root %s is not a directory", root)
		}
	}
	b, err := datastore.Open(ctx, root, o.getenv)
	if err != nil {
		return nil, err
	}
	return &Client{root: root, b: b}, nil
}

// DefaultRoot returns the datastore root the Stepflow commands read when
// no --datastore-root is given: $STEPFLOW_DATASTORE_ROOT, else the
// datastore_root of the config file 'stepflow configure aws' writes
// ($STEPFLOW_CONFIG, else ~/.stepflow/config.json), else ".stepflow". A
// config file that cannot be read is an error naming it. WithEnv gives
// the environment to read instead of the process's.
func DefaultRoot(opts ...Option) (string, error) {
	o := options{getenv: os.Getenv}
	for _, opt := range opts {
		opt(&o)
	}
	root, err := userconfig.ResolveRoot("", o.getenv)
	return root.Dir, err
}

// OpenDefault opens the datastore at DefaultRoot: the runs the commands
// list, wherever the user's configuration keeps them.
func OpenDefault(ctx context.Context, opts ...Option) (*Client, error) {
	root, err := DefaultRoot(opts...)
	if err != nil {
		return nil, err
	}
	return Open(ctx, root, opts...)
}

// Root returns the datastore root the client reads, as given to Open.
func (c *Client) Root() string { return c.root }

// Flows returns the names of the flows that have runs in the datastore,
// sorted.
func (c *Client) Flows(ctx context.Context) ([]string, error) {
	var names []string
	err := c.b.Dirs(ctx, "", func(name string) error {
		// A flow is a top-level element with an index of runs (or, in
		// datastores written before the index, runs).
		found := false
		err := c.b.Dirs(ctx, name+"/", func(sub string) error {
			if sub == "index" || sub == "runs" {
				found = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		if found {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list flows in %s: %w", c.root, err)
	}
	return names, nil
}

// Flow returns the flow named name. It does no I/O: a flow without runs
// has no runs, and Flow.Exists tells whether it has any.
func (c *Client) Flow(name string) *Flow {
	return &Flow{c: c, name: name, s: datastore.NewStore(c.b, name)}
}

// Flow is one flow of a datastore.
type Flow struct {
	c    *Client
	name string
	s    *datastore.Store
}

// Name returns the flow's name.
func (f *Flow) Name() string { return f.name }

// Exists reports whether the flow has anything in the datastore.
func (f *Flow) Exists(ctx context.Context) (bool, error) {
	flows, err := f.c.Flows(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(flows, f.name), nil
}

// Runs returns the flow's runs, newest first. A flow without runs has none
// (and no error).
//
// A run whose records cannot be read is listed too, with Status
// StatusDamaged and Error saying which record and why, after the others
// (a damaged run.json leaves its start unknown): one damaged run does
// not hide the rest.
func (f *Flow) Runs(ctx context.Context) ([]*Run, error) {
	recs, damaged, err := f.s.Runs().ListWithDamage(ctx)
	if err != nil {
		return nil, err
	}
	runs := make([]*Run, 0, len(recs)+len(damaged))
	for _, r := range recs {
		run, err := f.load(ctx, r.ID)
		if errors.Is(err, datastore.ErrCorrupt) {
			runs = append(runs, &Run{f: f, Flow: f.name, ID: r.ID, Status: StatusDamaged, Error: err.Error(), Start: r.Start,
				Params: r.Params, Origin: r.Origin, ResumeStep: r.ResumeStep, Spin: r.Spin, User: r.User, Tags: r.Tags, Runtime: r.Runtime, Trigger: r.Trigger})
			continue
		}
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	for _, d := range damaged {
		runs = append(runs, &Run{f: f, Flow: f.name, ID: d.ID, Status: StatusDamaged, Error: d.Err.Error()})
	}
	return runs, nil
}

// Run returns the run with the given id; the id "latest" (Latest) names
// the newest run, "latest-successful" (LatestSuccessful) the newest that
// succeeded. A missing run's error wraps ErrNotFound.
func (f *Flow) Run(ctx context.Context, id string) (*Run, error) {
	if id == LatestSuccessful {
		return f.latestSuccessful(ctx)
	}
	if id == Latest {
		runs, err := f.s.Runs().List(ctx)
		if err != nil {
			return nil, err
		}
		if len(runs) == 0 {
			return nil, notFound("flow %s has no runs in datastore %s", f.name, f.c.root)
		}
		id = runs[0].ID
	}
	if err := checkName("run id", id); err != nil {
		return nil, err
	}
	run, err := f.load(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound("flow %s has no run %q in datastore %s", f.name, id, f.c.root)
	}
	return run, err
}

// latestSuccessful returns the newest run that succeeded: it reads the
// runs' end records newest first, and stops at the first success.
func (f *Flow) latestSuccessful(ctx context.Context) (*Run, error) {
	runs, err := f.s.Runs().List(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		run, err := f.load(ctx, r.ID)
		if errors.Is(err, ErrCorrupt) {
			continue // a damaged run did not succeed as far as one can tell
		}
		if err != nil {
			return nil, err
		}
		if run.Status == StatusSucceeded {
			return run, nil
		}
	}
	return nil, notFound("flow %s has no run that succeeded in datastore %s (of %d runs)", f.name, f.c.root, len(runs))
}

// load reads a run's record and end record.
func (f *Flow) load(ctx context.Context, id string) (*Run, error) {
	rec, end, err := f.s.Runs().Get(ctx, id)
	if err != nil {
		return nil, err
	}
	run := &Run{
		f:          f,
		Flow:       f.name,
		ID:         rec.ID,
		Status:     StatusRunning,
		Start:      rec.Start,
		Params:     rec.Params,
		Origin:     rec.Origin,
		ResumeStep: rec.ResumeStep,
		Spin:       rec.Spin,
		User:       rec.User,
		Tags:       rec.Tags,
		Runtime:    rec.Runtime,
		Trigger:    rec.Trigger,
		indexed:    rec.AttemptIndex >= datastore.AttemptIndexVersion,
	}
	if end != nil {
		run.Status, run.End, run.Error, run.ResumedBy, run.Cached = end.Status, end.End, end.Error, end.ResumedBy, end.Cached
	} else if hb, err := f.s.Leases().Heartbeat(ctx, id); err == nil && !hb.Alive(time.Now()) {
		run.Status = StatusCrashed
		run.Error = fmt.Sprintf("the runtime stopped without recording an end (%s)", hb)
	} else if errors.Is(err, datastore.ErrCorrupt) {
		// Whether its runtime is alive cannot be told: not "running".
		run.Status = StatusDamaged
		run.Error = err.Error()
	}
	if len(rec.Graph) > 0 {
		var g struct {
			Steps []GraphStep `json:"steps"`
		}
		// A graph that does not decode is left out: it only draws.
		if json.Unmarshal(rec.Graph, &g) == nil {
			run.Graph = g.Steps
		}
	}
	return run, nil
}

// checkName rejects path elements that could escape the datastore layout,
// with a message for users (the datastore rejects them too, less kindly).
func checkName(kind, v string) error {
	if v == "" || strings.ContainsAny(v, "/\\\x00") || strings.HasPrefix(v, ".") {
		return notFound("%s %q is not valid: it must be non-empty, without '/' or '\\', and not start with '.'", kind, v)
	}
	return nil
}

// notFoundError is a message about something missing; it matches
// ErrNotFound without repeating "not found" in the text.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(format string, args ...any) error {
	return &notFoundError{msg: fmt.Sprintf(format, args...)}
}
