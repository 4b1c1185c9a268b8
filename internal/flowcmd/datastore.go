package flowcmd

import (
	"context"
	"flag"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	_ "github.com/stepflow/stepflow/internal/datastore/local" // directories
	"github.com/stepflow/stepflow/internal/inspect"
)

// datastoreFlags selects the datastore of a command: --datastore-root,
// else $STEPFLOW_DATASTORE_ROOT, else ./.stepflow. A root is a directory,
// or s3://bucket/prefix in a build that links the S3 backend (see
// datastore.Open).
type datastoreFlags struct{ root inspect.Root }

func (d *datastoreFlags) register(fs *flag.FlagSet) { d.root.Register(fs) }

// resolved returns the root from the flag, the environment or the default.
func (d *datastoreFlags) resolved(env *command.Env) string { return d.root.Resolved(env) }

// open opens the store of flow at the resolved root.
func (d *datastoreFlags) open(ctx context.Context, env *command.Env, flow string) (*datastore.Store, error) {
	b, err := datastore.Open(ctx, d.resolved(env), env.Getenv)
	if err != nil {
		return nil, err
	}
	return datastore.NewStore(b, flow), nil
}
