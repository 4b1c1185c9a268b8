package graphtext

import (
	"slices"

	"github.com/stepflow/stepflow/internal/graph"
)

// foreachChain returns the foreach steps whose body n is in, outermost
// first (a foreach's join is not in its body).
func foreachChain(g *graph.Graph, n *graph.Node) []string {
	parents := n.SplitParents
	if n.Kind == graph.Join && len(parents) > 0 {
		parents = parents[:len(parents)-1]
	}
	var chain []string
	for _, p := range parents {
		if g.Nodes[p] != nil && g.Nodes[p].Kind == graph.Foreach {
			chain = append(chain, p)
		}
	}
	return chain
}

// nodeLines are the lines of a step's box: its name, what kind of split
// or join it is, and its options.
func nodeLines(g *graph.Graph, n *graph.Node) []string {
	lines := []string{n.Name}
	t := n.Step.Transition
	switch n.Kind {
	case graph.Split:
		lines = append(lines, "branch")
	case graph.Foreach:
		lines = append(lines, "foreach "+t.Field)
	case graph.Switch:
		lines = append(lines, "switch "+t.Field)
	case graph.Join:
		if g.Nodes[n.Split()] != nil && g.Nodes[n.Split()].Kind == graph.Foreach {
			lines = append(lines, "join of foreach "+n.Split())
		} else {
			lines = append(lines, "join of "+n.Split())
		}
	}
	if opts := optionSummary(n.Step.Options); opts != "" {
		lines = append(lines, opts)
	}
	return lines
}

// clusters calls node for every step in g.Order and open/close around the
// steps of each foreach body, nested as the foreaches are.
func clusters(g *graph.Graph, open func(foreach string, depth int), node func(n *graph.Node, depth int), close func(depth int)) {
	var walk func(prefix []string)
	walk = func(prefix []string) {
		done := map[string]bool{}
		for _, name := range g.Order {
			n := g.Nodes[name]
			chain := foreachChain(g, n)
			if len(chain) < len(prefix) || !slices.Equal(chain[:len(prefix)], prefix) {
				continue
			}
			if len(chain) == len(prefix) {
				node(n, len(prefix))
				continue
			}
			next := chain[len(prefix)]
			if done[next] {
				continue
			}
			done[next] = true
			open(next, len(prefix))
			walk(append(slices.Clone(prefix), next))
			close(len(prefix))
		}
	}
	walk(nil)
}
