package flowcmd

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/usage"
)

// FileParamPaths returns the local file of every file parameter of def:
// the one given (parameter name to path), else the declared default; each
// checked (it exists, is a regular file, holds at most the limit of
// flow.MaxFileParamSize) before anything is stored. Every problem is bad
// input naming the parameter.
func FileParamPaths(def *flow.Flow, given map[string]string, getenv func(string) string) (map[string]string, error) {
	out := map[string]string{}
	var limit int64
	for _, p := range def.Params {
		if p.Kind != flow.File {
			continue
		}
		if limit == 0 {
			var err error
			if limit, err = flow.MaxFileParamSize(getenv); err != nil {
				return nil, usage.Wrap(err)
			}
		}
		path, ok := given[p.Name]
		if !ok {
			if p.Required {
				return nil, usage.Errorf("file parameter %s is required: give it with --%s PATH (%s)", p.Name, p.Name, p.Help)
			}
			path = p.Path
		}
		if _, err := p.CheckFile(path, limit, ""); err != nil {
			return nil, usage.Wrap(err)
		}
		out[p.Name] = path
	}
	return out, nil
}

// StoreFileParams streams each file of paths (FileParamPaths) into blobs,
// content-addressed (a file stored before is not written again), and
// returns each parameter's run value (flow.FileValue.String).
func StoreFileParams(ctx context.Context, blobs *datastore.Blobs, def *flow.Flow, paths map[string]string, getenv func(string) string) (map[string]string, error) {
	out := map[string]string{}
	limit, err := flow.MaxFileParamSize(getenv)
	if err != nil {
		return nil, usage.Wrap(err)
	}
	for _, p := range def.Params {
		path, ok := paths[p.Name]
		if p.Kind != flow.File || !ok {
			continue
		}
		hash, size, err := blobs.PutFile(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("file parameter %s: store %s: %w", p.Name, path, err)
		}
		if size > limit {
			// It grew past the limit after it was checked.
			return nil, usage.Errorf("file parameter %s: file %s is %d bytes, more than the %d bytes a file parameter may hold; give a smaller file, or raise the limit with %s", p.Name, path, size, limit, flow.EnvMaxFileParamSize)
		}
		out[p.Name] = flow.FileValue{Hash: hash, Size: size, Name: filepath.Base(path)}.String()
	}
	return out, nil
}
