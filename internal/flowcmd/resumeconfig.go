package flowcmd

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/usage"
)

// resumeConfigs returns the configs of a resume of orun: the frozen blobs
// of the origin, each checked in full, since the new run's record names
// them and its tasks read them. A config whose blob is missing or damaged
// (verify --repair removes a damaged one) is frozen again from the file
// given with --config NAME=FILE, which must hold the very value the origin
// froze: its blob is named by its content, so the same value restores the
// same blob, and the tasks reused from the origin stay consistent with
// it. Anything else is bad input, never a run naming a blob that is not
// there.
func resumeConfigs(ctx context.Context, def *flow.Flow, blobs *datastore.Blobs, orun datastore.Run, given map[string]string) (map[string]string, error) {
	lost := map[string]error{}
	for _, name := range slices.Sorted(maps.Keys(orun.Configs)) {
		err := blobs.Verify(ctx, orun.Configs[name])
		switch {
		case errors.Is(err, datastore.ErrNotFound) || errors.Is(err, datastore.ErrCorrupt):
			lost[name] = err
		case err != nil:
			return nil, fmt.Errorf("resume: config %s of run %s: %w", name, orun.ID, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if _, ok := orun.Configs[name]; !ok {
			return nil, usage.Errorf("resume: --config %s: run %s has no config %s; a resume keeps the origin's configs", name, orun.ID, name)
		}
		if lost[name] == nil {
			return nil, usage.Errorf("resume: --config %s: the config run %s froze is intact, and a resume keeps it; to run with another value, start a new run", name, orun.ID)
		}
	}
	out := maps.Clone(orun.Configs)
	for _, name := range slices.Sorted(maps.Keys(lost)) {
		c := configNamed(def, name)
		file, ok := given[name]
		if !ok || c == nil {
			hint := ""
			if c != nil && c.Path != "" {
				hint = fmt.Sprintf(" (the flow's default: %s)", c.Path)
			}
			return nil, usage.Errorf("resume: config %s of run %s is lost: %v; give the file the run read with --config %s=FILE%s to restore it, or start a new run",
				name, orun.ID, lost[name], name, hint)
		}
		v, err := c.Load(file)
		if err != nil {
			return nil, usage.Wrap(fmt.Errorf("resume: %w", err))
		}
		data, _, err := artifact.Encode(reflect.ValueOf(v))
		if err != nil {
			return nil, usage.Wrap(fmt.Errorf("resume: config %s: %w", name, err))
		}
		if h := datastore.BlobHash(data); h != orun.Configs[name] {
			return nil, usage.Errorf("resume: --config %s=%s holds another value than the one run %s froze (blob %s, this file gives %s); the tasks the resume reuses ran with that value: give the file the run read, or start a new run",
				name, file, orun.ID, orun.Configs[name], h)
		}
		if _, err := blobs.Put(ctx, data); err != nil {
			return nil, fmt.Errorf("resume: restore config %s: %w", name, err)
		}
	}
	return out, nil
}

// configNamed returns the flow's config named name, or nil.
func configNamed(def *flow.Flow, name string) *flow.Config {
	for _, c := range def.Configs {
		if c.Name == name {
			return c
		}
	}
	return nil
}
