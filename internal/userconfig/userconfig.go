// Package userconfig reads the user's Stepflow config file
// ($STEPFLOW_CONFIG, else ~/.stepflow/config.json), which 'stepflow
// configure aws' writes: here only what every program needs from it, the
// datastore root, so that a plain flow binary finds the runs of the
// configured datastore without linking the AWS settings (package
// internal/aws/settings reads the rest).
package userconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/stepflow/stepflow/internal/readlimit"
)

// Path returns the config file: $STEPFLOW_CONFIG, else
// ~/.stepflow/config.json (home from $HOME), else "" (no home).
func Path(getenv func(string) string) string {
	if p := getenv("STEPFLOW_CONFIG"); p != "" {
		return p
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".stepflow", "config.json")
	}
	return ""
}

// MaxSize is the largest config file read, 1 MiB: it holds a few dozen
// settings.
const MaxSize = 1 << 20

// DatastoreRootKey is the config file's key of the datastore root.
const DatastoreRootKey = "datastore_root"

// DatastoreRoot returns the datastore root the config file names, and
// the file's path; "" when there is no file at the default place or it
// names none. A $STEPFLOW_CONFIG that does not exist, a file that is not
// a JSON object or too large, and a root that is not a string are errors
// naming the file.
func DatastoreRoot(getenv func(string) string) (root, path string, err error) {
	path = Path(getenv)
	if path == "" {
		return "", "", nil
	}
	data, err := readlimit.File(path, MaxSize)
	switch {
	case errors.Is(err, fs.ErrNotExist) && getenv("STEPFLOW_CONFIG") == "":
		return "", path, nil
	case err != nil:
		return "", path, fmt.Errorf("config file %s: %w; fix it, or point STEPFLOW_CONFIG at another", path, err)
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(data, &file); err != nil {
		return "", path, fmt.Errorf("config file %s is not a JSON object: %v; fix it, or point STEPFLOW_CONFIG at another", path, err)
	}
	raw, ok := file[DatastoreRootKey]
	if !ok {
		return "", path, nil
	}
	if err := json.Unmarshal(raw, &root); err != nil {
		return "", path, fmt.Errorf("config file %s: %q must be a string", path, DatastoreRootKey)
	}
	return root, path, nil
}

// DefaultRoot is where local runs keep their data when nothing names a
// datastore root.
const DefaultRoot = ".stepflow"

// EnvDatastoreRoot names the environment variable of the datastore root.
const EnvDatastoreRoot = "STEPFLOW_DATASTORE_ROOT"

// Root is a resolved datastore root and where it came from.
type Root struct {
	Dir string
	// From says where Dir came from, for messages: "--datastore-root",
	// "STEPFLOW_DATASTORE_ROOT", "config file PATH" or "default".
	From string
}

// Configured reports whether the root is the config file's.
func (r Root) Configured() bool { return strings.HasPrefix(r.From, "config file ") }

// ResolveRoot returns the datastore root of a command: flag (its
// --datastore-root) when given, else $STEPFLOW_DATASTORE_ROOT, else the
// config file's datastore_root (DatastoreRoot), else DefaultRoot.
func ResolveRoot(flag string, getenv func(string) string) (Root, error) {
	if flag != "" {
		return Root{Dir: flag, From: "--datastore-root"}, nil
	}
	if d := getenv(EnvDatastoreRoot); d != "" {
		return Root{Dir: d, From: EnvDatastoreRoot}, nil
	}
	d, path, err := DatastoreRoot(getenv)
	if err != nil {
		return Root{}, err
	}
	if d != "" {
		return Root{Dir: d, From: "config file " + path}, nil
	}
	return Root{Dir: DefaultRoot, From: "default"}, nil
}
