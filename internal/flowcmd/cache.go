package flowcmd

import (
	"flag"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/runner"
	"github.com/stepflow/stepflow/internal/usage"
)

// cacheFlags are the step cache's flags of run and resume: --no-cache and
// the repeatable --refresh-cache STEP.
type cacheFlags struct {
	off     bool
	refresh []string
}

func (c *cacheFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.off, "no-cache", false, "run every task of the cached steps, and store none in the step cache")
	fs.Func("refresh-cache", "run the tasks of this cached step even when the step cache has them, and replace their entries (repeatable)", func(v string) error {
		c.refresh = append(c.refresh, v)
		return nil
	})
}

// options checks the flags against the flow: --refresh-cache names
// cached steps, and does not come with --no-cache.
func (c *cacheFlags) options(f *flow.Flow) (runner.CacheOptions, error) {
	o := runner.CacheOptions{Off: c.off}
	if c.off && len(c.refresh) > 0 {
		return o, usage.Errorf("--no-cache and --refresh-cache %s: --no-cache already runs every task; give one of them", c.refresh[0])
	}
	var cached []string
	for _, s := range f.Steps {
		if s.Options.Cache != nil {
			cached = append(cached, s.Name)
		}
	}
	for _, name := range c.refresh {
		var step *flow.Step
		for _, s := range f.Steps {
			if s.Name == name {
				step = s
			}
		}
		list := "none"
		if len(cached) > 0 {
			list = strings.Join(cached, ", ")
		}
		switch {
		case step == nil:
			return o, usage.Errorf("--refresh-cache %q: flow %s has no such step; its cached steps: %s", name, f.Name, list)
		case step.Options.Cache == nil:
			return o, usage.Errorf("--refresh-cache %s: step %s is not cached (declare it with stepflow.Cache()); the cached steps: %s", name, name, list)
		}
		if o.Refresh == nil {
			o.Refresh = map[string]bool{}
		}
		o.Refresh[name] = true
	}
	return o, nil
}
