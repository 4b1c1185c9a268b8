package cli

import (
	"flag"
	"path/filepath"
	"strings"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

// DefaultDatastoreRoot is where local runs keep their data.
const DefaultDatastoreRoot = ".stepflow"

// datastoreFlags selects the datastore of a command.
type datastoreFlags struct{ root string }

func (d *datastoreFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.root, "datastore-root", "", "datastore root directory (env STEPFLOW_DATASTORE_ROOT; default ./.stepflow)")
}

// resolved returns the root from the flag, the environment or the default.
func (d *datastoreFlags) resolved(env *Env) string {
	if d.root != "" {
		return d.root
	}
	if r := env.Getenv("STEPFLOW_DATASTORE_ROOT"); r != "" {
		return r
	}
	return DefaultDatastoreRoot
}

// open opens the flow's store at the resolved root.
func (d *datastoreFlags) open(env *Env) (*datastore.Store, error) {
	b, err := openBackend(d.resolved(env))
	if err != nil {
		return nil, err
	}
	return datastore.NewStore(b, env.Flow.Name), nil
}

// openBackend opens the backend a root names: s3://bucket[/prefix] (in the
// AWS build; settings from STEPFLOW_S3_ENDPOINT, STEPFLOW_S3_PATH_STYLE,
// STEPFLOW_REGION or AWS_REGION and the AWS SDK's default chain; see
// docs/datastore.md) or a directory.
func openBackend(root string) (datastore.Backend, error) {
	if strings.HasPrefix(root, "s3://") {
		return openS3(root)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, Usagef("datastore root %q: %v", root, err)
	}
	return local.New(abs, local.Options{})
}

func filepathAbs(p string) (string, error) { return filepath.Abs(p) }
