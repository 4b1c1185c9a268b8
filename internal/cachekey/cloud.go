package cachekey

import (
	"strconv"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

// The step cache's items in a deployment's bookkeeping table
// (docs/state-machine.md, "Step caching"), keyed by a prefixed pathspec
// attribute, so that they never meet a foreach's or a switch's item:
//
//   - "out:<run>/<step>/<task>": the digest of a task's artifacts
//     (AttrDigest), written by the task when the state machine decides
//     its successor's hit, or by the state machine on a hit, with
//     AttrCachedFrom, AttrCacheKey and AttrInputs.
//   - "cache:<key>": a cached task's success (AttrCachedFrom, the attempt
//     run/step/task/attempt, and AttrDigest), written by the task.
const (
	OutPrefix      = "out:"
	CachePrefix    = "cache:"
	AttrDigest     = "digest"
	AttrCachedFrom = "from"
	AttrCacheKey   = "key"
	AttrInputs     = "inputs"
)

// CloudCached reports whether a Step Functions state machine decides the
// hits of step n itself, before its Batch job (docs/state-machine.md,
// "Step caching"): a cached linear step outside any foreach, neither the
// start nor the end step (the end task writes the run's end), whose one
// input is a linear step or a join outside any foreach. The compiler and
// the task side both go by it: the task of the input writes the digest of
// its artifacts for the state machine to read.
func CloudCached(g *graph.Graph, n *graph.Node) bool {
	if n == nil || n.Step == nil || n.Step.Options.Cache == nil || n.Kind != graph.Linear || n.ForeachDepth > 0 ||
		n.Name == g.Start || n.Name == g.End || len(n.In) != 1 {
		return false
	}
	p := g.Node(n.In[0])
	return p.ForeachDepth == 0 && (p.Kind == graph.Linear || p.Kind == graph.Join)
}

// FeedsCloudCached reports whether the successor of step n is
// CloudCached: then n's task records the digest of its artifacts.
func FeedsCloudCached(g *graph.Graph, n *graph.Node) bool {
	if n.Kind != graph.Linear && n.Kind != graph.Join {
		return false
	}
	return len(n.Out) == 1 && CloudCached(g, g.Node(n.Out[0]))
}

// CloudPrefix is the part of a cloud-cached step's key the compiler
// knows: the flow, the step's identity, the code (the step's cache
// version, or the flow image the deployment runs) and the deployment's
// scope (its project and branch). The state machine hashes it with the
// digest of the input's artifacts: the key is the hex SHA-256 of prefix
// and digest, concatenated (States.Hash).
func CloudPrefix(f *flow.Flow, step, image, scope string) string {
	b := New()
	b.Add("flow", f.Name)
	b.Add("step", f.StepIdentity(step))
	for _, s := range f.Steps {
		if s.Name == step && s.Options.Cache != nil && s.Options.Cache.Version != "" {
			image = ""
			b.Add("code", "version "+s.Options.Cache.Version)
		}
	}
	if image != "" {
		b.Add("code", "image "+image)
	}
	b.Add("scope", scope)
	b.Add("task", "0")
	return b.Key()
}

// MapCached reports whether step n is a cached body step a state machine
// decides per item, inside the Map of its foreach: a cached linear step
// whose one input is a top-level foreach (the first step of its body). The
// compiler decides so only when the body runs in a Map, not as array jobs;
// it then tells the foreach's task (taskcontract.EnvCacheItems) to write
// the digest of each item's inputs.
func MapCached(g *graph.Graph, n *graph.Node) bool {
	if n == nil || n.Step == nil || n.Step.Options.Cache == nil || n.Kind != graph.Linear || n.ForeachDepth != 1 || len(n.In) != 1 {
		return false
	}
	f := g.Node(n.In[0])
	return f.Kind == graph.Foreach && f.ForeachDepth == 0
}

// ItemDigest is the digest of the inputs of item index of a foreach task
// whose artifacts, its item list left out, have the digest inputs, and
// whose item has the digest item (Item): what a MapCached step's key
// hashes in place of its input's digest.
func ItemDigest(inputs, item string, index int) string {
	b := New()
	b.Add("input", inputs)
	b.Add("item", item)
	b.Add("index", strconv.Itoa(index))
	return b.Key()
}
