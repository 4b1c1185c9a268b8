package flowcmd

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/gctune"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/runner"
	"github.com/stepflow/stepflow/internal/usage"
)

// Defaults of the runtime flags.
const (
	defaultMaxWorkers   = 16
	defaultMaxNumSplits = 100
)

// runFlags are the flags shared by run and resume.
type runFlags struct {
	ds           datastoreFlags
	maxWorkers   setInt
	maxNumSplits setInt
	inProcess    setBool
	quiet        bool
	tags         tagsFlag
	secretsFile  string
	with         withFlag
	batch        *BatchRuntime // the steps on AWS Batch (openStore); nil: none
	cache        cacheFlags
}

func (r *runFlags) register(fs *flag.FlagSet) {
	r.ds.register(fs)
	fs.Var(&r.maxWorkers, "max-workers", fmt.Sprintf("tasks running at once (default %d; resume: the origin run's)", defaultMaxWorkers))
	fs.Var(&r.maxNumSplits, "max-num-splits", fmt.Sprintf("widest foreach allowed (default %d; resume: the origin run's)", defaultMaxNumSplits))
	fs.Var(&r.inProcess, "in-process", "run tasks as goroutines instead of child processes (faster, no crash isolation; resume: as the origin run)")
	fs.BoolVar(&r.quiet, "quiet", false, "do not print the tasks' output")
	fs.Var(&r.tags, "tag", "tag the run (repeatable)")
	fs.Var(&r.with, "with", "where steps run: batch submits every step to AWS Batch (AWS build), batch:memory=8GiB,cpu=4,gpu=1,queue=NAME with these resources; local runs every step here, stepflow.OnBatch ones too")
	r.cache.register(fs)
	fs.StringVar(&r.secretsFile, "secrets-file", "", "JSON file of secret values, {\"NAME\": \"VALUE\"}, for the secrets the environment (STEPFLOW_SECRET_NAME) does not give")
}

// options resolves the flags: those given, else from (the origin run's),
// else the defaults.
func (r *runFlags) options(from *datastore.RunOptions) (datastore.RunOptions, error) {
	o := datastore.RunOptions{MaxWorkers: defaultMaxWorkers, MaxNumSplits: defaultMaxNumSplits}
	if from != nil {
		o.MaxWorkers = cmp.Or(from.MaxWorkers, o.MaxWorkers)
		o.MaxNumSplits = cmp.Or(from.MaxNumSplits, o.MaxNumSplits)
		o.InProcess = from.InProcess
		o.With = from.With
	}
	if len(r.with.values) > 0 {
		o.With = r.with.values
	}
	if r.maxWorkers.set {
		o.MaxWorkers = r.maxWorkers.v
	}
	if r.maxNumSplits.set {
		o.MaxNumSplits = r.maxNumSplits.v
	}
	if r.inProcess.set {
		o.InProcess = r.inProcess.v
	}
	if o.MaxWorkers < 1 {
		return o, usage.Errorf("--max-workers %d: use 1 or more", o.MaxWorkers)
	}
	if o.MaxNumSplits < 1 {
		return o, usage.Errorf("--max-num-splits %d: use 1 or more", o.MaxNumSplits)
	}
	return o, nil
}

// setInt is an int flag that knows whether it was given.
type setInt struct {
	v   int
	set bool
}

func (s *setInt) String() string { return strconv.Itoa(s.v) }

func (s *setInt) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not an integer", v)
	}
	s.v, s.set = n, true
	return nil
}

// setBool is a bool flag that knows whether it was given.
type setBool struct {
	v   bool
	set bool
}

func (s *setBool) String() string   { return strconv.FormatBool(s.v) }
func (s *setBool) IsBoolFlag() bool { return true }

func (s *setBool) Set(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%q is not a boolean", v)
	}
	s.v, s.set = b, true
	return nil
}

// tagsFlag collects the repeatable --tag flag, each tag checked by
// flow.CheckTag (no empty tag, none that looks like a system tag).
type tagsFlag []string

func (m *tagsFlag) String() string { return strings.Join(*m, ",") }
func (m *tagsFlag) Set(v string) error {
	if err := flow.CheckTag(v); err != nil {
		return err
	}
	*m = append(*m, v)
	return nil
}

func cmdRun(f *Flow) *command.Command {
	return &command.Command{
		Name:      "run",
		UsageLine: "run [--PARAM value ...] [--config NAME=FILE] [--event FILE] [--max-workers N] [--max-num-splits N] [--in-process] [--no-cache] [--refresh-cache STEP] [--datastore-root DIR] [--with batch[:KEY=VALUE,...]]",
		Short:     "run the flow on this machine",
		Long: `Run runs the whole flow on this machine. Each parameter of the flow is a
flag. Each task runs in its own process through the step command, at most
--max-workers at a time; artifacts, logs and records go to the datastore
(default ./.stepflow).

With --event FILE the run starts as the deployed flow would when that
EventBridge event arrives: the trigger it matches maps its fields to
parameters, with the same input transformer and the same checks; a
parameter given as a flag still wins.

With --with batch (the AWS build, -tags stepflow_aws) every task runs as
an AWS Batch job instead, from the flow image, with the S3 datastore of the
deploy settings; steps declared with stepflow.OnBatch() run so without it.
--with batch:memory=8GiB,cpu=4,gpu=1,queue=NAME overrides their resources;
--with local runs every step here, those declared OnBatch too. This
machine still runs the flow: retries, catch, foreach, progress and output
are as for local tasks (docs/runtime.md, "Steps on AWS Batch").

A step declared with stepflow.Cache() reuses the task of an earlier run
whose cache key is the same instead of running it (docs/runtime.md, "Step
caching"); --no-cache runs every task and stores none, --refresh-cache STEP
runs that step's tasks and replaces their entries.

Exit status: 0 when the run succeeded, 1 when it failed, 2 on bad input.`,
		RawArgs: true,
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			return runRun(ctx, env, f, args)
		},
	}
}

func runRun(ctx context.Context, env *command.Env, f *Flow, args []string) error {
	g, err := f.Graph()
	if err != nil {
		return err
	}
	var rf runFlags
	cmd := cmdRun(f)
	fs := command.NewFlagSet(env.Args0+" run", env, cmd)
	rf.register(fs)
	params := map[string]*optString{}
	for _, p := range f.Def.Params {
		v := &optString{}
		params[p.Name] = v
		usage := p.Help + " (" + p.Kind.String() + ")"
		if p.Kind == flow.File {
			usage = p.Help + " (a local file, stored with the run)"
		}
		if p.Required {
			usage += ", required"
		} else if s, err := p.Format(p.Default); err == nil {
			usage += ", default " + s
		}
		fs.Var(v, p.Name, usage)
	}
	configs := ConfigFlag{}
	fs.Var(configs, "config", "config file: NAME=FILE (repeatable)")
	eventFile := &optString{}
	fs.Var(eventFile, "event", "start the run as this EventBridge event (a JSON file) would start the deployed flow")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usage.Errorf("run takes no arguments, got %q; parameters are flags (--name value)", fs.Args())
	}
	var from, started map[string]string // parameter -> the event field it was mapped from; what started the run
	if eventFile.set {
		if from, started, err = eventParams(f.Def, eventFile.v, params); err != nil {
			return err
		}
	}
	opts, err := rf.options(nil)
	if err != nil {
		return err
	}
	values := map[string]string{}
	files := map[string]string{}
	for _, p := range f.Def.Params {
		v := params[p.Name]
		if p.Kind == flow.File {
			if v.set {
				files[p.Name] = v.v
			}
			continue
		}
		switch {
		case v.set:
			if _, err := p.Parse(v.v); err != nil && from[p.Name] != "" {
				return usage.Wrap(fmt.Errorf("%v (mapped from the event's %s); correct the event or the trigger's Map", err, from[p.Name]))
			} else if err != nil {
				return usage.Wrap(fmt.Errorf("%v; run '%s run --help' for the parameters", err, env.Invocation()))
			}
			values[p.Name] = v.v
		case p.Required:
			return usage.Errorf("parameter %s is required: give it with --%s (%s)", p.Name, p.Name, p.Help)
		default:
			s, err := p.Format(p.Default)
			if err != nil {
				return usage.Wrap(err)
			}
			values[p.Name] = s
		}
	}
	// The file parameters' files are checked before anything is stored.
	filePaths, err := FileParamPaths(f.Def, files, env.Getenv)
	if err != nil {
		return err
	}
	store, err := rf.openStore(ctx, env, f, g, append([]string{"run"}, args...))
	if err != nil {
		return err
	}
	frozen, err := freezeConfigs(ctx, f.Def, store.Blobs(), configs)
	if err != nil {
		return err
	}
	stored, err := StoreFileParams(ctx, store.Blobs(), f.Def, filePaths, env.Getenv)
	if err != nil {
		return err
	}
	maps.Copy(values, stored)
	run := datastore.Run{Flow: f.Def.Name, ID: newRunID(), Start: time.Now().UTC(), Params: values,
		Configs: frozen, Tags: append(append([]string(nil), f.Def.Tags...), rf.tags...), User: userName(), Runtime: "local",
		Graph: g.ShapeJSON(), Options: &opts, Trigger: started}
	return startRun(ctx, env, f, g, store, &rf, run, nil)
}

// startRun writes the run record and runs the flow.
func startRun(ctx context.Context, env *command.Env, f *Flow, g *graph.Graph, store *datastore.Store, rf *runFlags, run datastore.Run, resume *runner.Resume) error {
	cache, err := rf.cache.options(f.Def)
	if err != nil {
		return err
	}
	def := f.Def
	if rf.batch != nil {
		def = secretsHere(def, batchSteps(g, rf.with.batch))
	}
	secretsFile, err := checkSecrets(ctx, env, def, rf.secretsFile)
	if err != nil {
		return err
	}
	if err := store.Runs().Put(ctx, run); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the flow binary: %w", err)
	}
	r := &runner.Runner{Flow: f.Def, Graph: g, Store: store, Opts: runner.Options{
		MaxWorkers: run.Options.MaxWorkers, MaxNumSplits: run.Options.MaxNumSplits, InProcess: run.Options.InProcess,
		Exe: exe, DatastoreRoot: absRoot(rf.ds.resolved()), SecretsFile: secretsFile, Cache: cache,
	}}
	if b := rf.batch; b != nil {
		r.Opts.DatastoreRoot = b.Root
		r.Opts.Env = append(r.Opts.Env, b.Env...)
		steps := map[string]bool{}
		for _, s := range batchSteps(g, rf.with.batch) {
			steps[s] = true
		}
		r.Remote = &runner.Remote{Exec: b.Exec, Steps: steps}
	}
	if f, ok := env.Stdout.(*os.File); ok && isTerminal(f) && !rf.quiet {
		live := &runner.LiveReporter{W: env.Stdout, Order: g.Order}
		live.Start()
		r.Reporter = live
	} else {
		line := &runner.LineReporter{W: env.Stdout, Quiet: rf.quiet, Order: g.Order}
		line.Start()
		r.Reporter = line
	}
	if !rf.quiet {
		fmt.Fprintf(env.Stdout, "run %s of %s started\n", run.ID, f.Def.Name)
	}
	if env.IsProcess() {
		// The runtime allocates for every task it starts (and in-process
		// runs each task's state): a small heap would be collected again
		// and again (docs/runtime.md, "Running a flow").
		defer gctune.Start(gctune.DefaultFloor)()
	}
	if err := r.Run(ctx, run.ID, resume); err != nil {
		var rfe *runner.RunFailedError
		if errors.As(err, &rfe) {
			fmt.Fprintf(env.Stderr, "see the task's output with: %s logs %s%s\n", env.Invocation(), rfe.Task, rf.ds.hint())
		}
		if herr := runHook(ctx, env, f, store, run.ID, datastore.StatusFailed, err.Error(), rf.quiet); herr != nil {
			return herr
		}
		return &command.FailedError{}
	}
	if err := runHook(ctx, env, f, store, run.ID, datastore.StatusSucceeded, "", rf.quiet); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "artifacts: %s dump %s/%s/0%s\n", env.Invocation(), run.ID, g.End, rf.ds.hint())
	return nil
}

// ConfigFlag collects --config NAME=FILE (run, step-functions create).
type ConfigFlag map[string]string

func (c ConfigFlag) String() string { return "" }

// Set adds one NAME=FILE.
func (c ConfigFlag) Set(s string) error {
	name, file, ok := strings.Cut(s, "=")
	if !ok || name == "" || file == "" {
		return fmt.Errorf("write NAME=FILE")
	}
	c[name] = file
	return nil
}

// FrozenConfig is the value of one config as a run freezes it: the
// artifact encoding of the decoded file, and its blob hash.
type FrozenConfig struct {
	Name string
	Hash string // datastore.BlobHash(Data)
	Data []byte
}

// EncodeConfigs reads every config of the flow, from its default file or
// the one given with --config NAME=FILE, decodes it into the config's type
// and encodes it as an artifact, in declaration order. It writes nothing:
// a local run stores the blobs (freezeConfigs), step-functions create
// compiles their hashes into the definition and uploads them when it
// deploys. Every problem is bad input (usage.Error) naming the config.
func EncodeConfigs(def *flow.Flow, given map[string]string) ([]FrozenConfig, error) {
	var out []FrozenConfig
	known := map[string]bool{}
	for _, c := range def.Configs {
		known[c.Name] = true
		path := c.Path
		if p, ok := given[c.Name]; ok {
			path = p
		}
		if path == "" {
			return nil, usage.Errorf("config %s has no file: give one with --config %s=FILE", c.Name, c.Name)
		}
		v, err := c.Load(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				err = fmt.Errorf("%w; give the file with --config %s=FILE", err, c.Name)
			}
			return nil, usage.Wrap(err)
		}
		data, _, err := artifact.Encode(reflect.ValueOf(v))
		if err != nil {
			return nil, usage.Wrap(fmt.Errorf("config %s: %w", c.Name, err))
		}
		out = append(out, FrozenConfig{Name: c.Name, Hash: datastore.BlobHash(data), Data: data})
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !known[name] {
			return nil, usage.Errorf("--config %s: the flow has no config named %s", name, name)
		}
	}
	return out, nil
}

// freezeConfigs reads every config file and stores its decoded value as a
// blob, so the run sees one value whatever happens to the file later.
func freezeConfigs(ctx context.Context, def *flow.Flow, blobs *datastore.Blobs, given map[string]string) (map[string]string, error) {
	frozen, err := EncodeConfigs(def, given)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, c := range frozen {
		h, err := blobs.Put(ctx, c.Data)
		if err != nil {
			return nil, err
		}
		out[c.Name] = h
	}
	return out, nil
}

func newRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// userName names who started a run. It reads the environment rather than
// os/user, whose cgo lookup would make every flow binary dynamically linked
// and slower to start.
func userName() string {
	for _, k := range []string{"USER", "LOGNAME"} {
		if u := os.Getenv(k); u != "" {
			return u
		}
	}
	return fmt.Sprintf("uid%d", os.Getuid())
}

func absRoot(root string) string {
	if strings.Contains(root, "://") {
		return root
	}
	if abs, err := filepath.Abs(root); err == nil {
		return abs
	}
	return root
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
