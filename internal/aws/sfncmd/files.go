package sfncmd

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/flowcmd"
	"github.com/stepflow/stepflow/internal/usage"
)

// freezeFiles reads the file of every file parameter with a default (its
// declared path, or --file NAME=PATH) as create freezes it: checked as a
// run checks it, and hashed in a stream; nothing is stored here (create
// uploads the files once the deploy's checks pass). It returns the run
// values for Settings.Files and the files to upload.
func freezeFiles(ctx context.Context, env *command.Env, def *flow.Flow, given flowcmd.ConfigFlag) (map[string]string, []deploy.FileBlob, error) {
	limit, err := flow.MaxFileParamSize(env.Getenv)
	if err != nil {
		return nil, nil, usage.Wrap(err)
	}
	values := map[string]string{}
	var blobs []deploy.FileBlob
	known := map[string]bool{}
	for _, p := range def.Params {
		if p.Kind != flow.File {
			continue
		}
		known[p.Name] = true
		path, ok := given[p.Name]
		if !ok && p.Required {
			continue // no default: every trigger gives it
		}
		if !ok {
			path = p.Path
		}
		if _, err := p.CheckFile(path, limit, "--file "+p.Name+"=PATH"); err != nil {
			return nil, nil, usage.Wrap(err)
		}
		hash, size, err := datastore.HashFile(ctx, path)
		if err != nil {
			return nil, nil, fmt.Errorf("file parameter %s: %w", p.Name, err)
		}
		v := flow.FileValue{Hash: hash, Size: size, Name: filepath.Base(path)}.String()
		values[p.Name] = v
		blobs = append(blobs, deploy.FileBlob{Name: p.Name, Path: path, Value: v})
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !known[name] {
			return nil, nil, usage.Errorf("--file %s: the flow has no file parameter named %s", name, name)
		}
	}
	if len(values) == 0 {
		values = nil
	}
	return values, blobs, nil
}

// planFiles stands in for freezeFiles in plan, which counts what a run
// costs and does not depend on the files' bytes: each file parameter with
// a default gets a value of the length its file's would have (the zero
// hash, a size of 13 digits), and no file is read.
func planFiles(def *flow.Flow, given flowcmd.ConfigFlag) (map[string]string, error) {
	values := map[string]string{}
	known := map[string]bool{}
	for _, p := range def.Params {
		if p.Kind != flow.File {
			continue
		}
		known[p.Name] = true
		path, ok := given[p.Name]
		if !ok && p.Required {
			continue
		}
		if !ok {
			path = p.Path
		}
		values[p.Name] = sizedFileValue(path)
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !known[name] {
			return nil, usage.Errorf("--file %s: the flow has no file parameter named %s", name, name)
		}
	}
	if len(values) == 0 {
		values = nil
	}
	return values, nil
}

// uploadFileParams stores, for trigger, the local file of each file
// parameter given (name -> path) in the deployment's S3 datastore, and
// returns each one's run value: the execution's parameter.
func uploadFileParams(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings, given map[string]string) (map[string]string, error) {
	limit, err := flow.MaxFileParamSize(env.Getenv)
	if err != nil {
		return nil, usage.Wrap(err)
	}
	paths := map[string]string{}
	for _, p := range f.Def.Params {
		path, ok := given[p.Name]
		if p.Kind != flow.File || !ok {
			continue
		}
		if _, err := p.CheckFile(path, limit, ""); err != nil {
			return nil, usage.Wrap(err)
		}
		paths[p.Name] = path
	}
	if len(paths) == 0 {
		return nil, nil
	}
	b, err := openS3Store(ctx, env, f.Def.Name, s)
	if err != nil {
		return nil, err
	}
	values, err := flowcmd.StoreFileParams(ctx, datastore.NewStore(b, f.Def.Name).Blobs(), f.Def, paths, env.Getenv)
	if err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		v, _ := flow.ParseFileValue(values[name])
		fmt.Fprintf(env.Stdout, "file %s (%s, %d bytes): stored in the datastore as blob %s\n", name, paths[name], v.Size, v.Hash)
	}
	return values, nil
}

// sizedFileValue is a stand-in as long as the run value of the file at
// path (or longer): trigger's size check of the parameters counts it before the
// file is uploaded, and plan compiles it.
func sizedFileValue(path string) string {
	return flow.FileValue{Hash: strings.Repeat("0", 64), Size: 1 << 40, Name: filepath.Base(path)}.String()
}
