package flowcmd

import (
	"context"
	"flag"
	"strings"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	_ "github.com/stepflow/stepflow/internal/datastore/local" // directories
	"github.com/stepflow/stepflow/internal/inspect"
	"github.com/stepflow/stepflow/internal/usage"
)

// datastoreFlags selects the datastore of a command: --datastore-root,
// else $STEPFLOW_DATASTORE_ROOT, else the datastore root of the config
// file 'stepflow configure aws' writes, else ./.stepflow (the inspection
// commands resolve it the same way, so they find every run). A root is a
// directory, or s3://bucket/prefix in a build that links the S3 backend
// (see datastore.Open).
type datastoreFlags struct {
	root inspect.Root
	dir  string // the root open resolved
}

func (d *datastoreFlags) register(fs *flag.FlagSet) { d.root.Register(fs) }

// resolved returns the root open resolved.
func (d *datastoreFlags) resolved() string { return d.dir }

// hint is what a command suggested after a run adds to find the run's
// datastore: " --datastore-root ROOT" when the root was the flag, which
// the suggested command does not inherit; nothing when the environment,
// the config file or the default gave it, which it resolves alike.
func (d *datastoreFlags) hint() string {
	if d.root.Dir == "" {
		return ""
	}
	return " --datastore-root " + shellQuote(d.root.Dir)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// open opens the store of flow at the resolved root.
func (d *datastoreFlags) open(ctx context.Context, env *command.Env, flow string) (*datastore.Store, error) {
	root, err := d.root.Resolve(env)
	if err != nil {
		return nil, err
	}
	d.dir = root.Dir
	b, err := datastore.Open(ctx, root.Dir, env.Getenv)
	if err != nil {
		return nil, usage.Wrap(inspect.OpenError(root, err))
	}
	return datastore.NewStore(b, flow), nil
}
