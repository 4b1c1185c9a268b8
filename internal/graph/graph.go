// Package graph is the model of a flow's step graph: for each step its kind,
// successors, predecessors, enclosing splits and matching join, computed once
// from a flow definition. It also holds the linter, which reports every
// violation of the graph rules at once (the AWS Batch rules included), and
// Shape, the drawable form of the graph stored with every run. The
// drawings are elsewhere: package graphtext (text, Mermaid, dot) and
// package graphsvg (SVG, for the viewers). The package is pure: no I/O.
package graph

import (
	"slices"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/usage"
)

// Kind is the role of a step in the graph.
type Kind int

// The step kinds.
const (
	Linear  Kind = iota // one successor
	Split               // static branch into every successor
	Foreach             // one child task per item of a slice field
	Switch              // one successor chosen at run time
	Join                // closes the innermost split or foreach
	End                 // the end step
)

var kindNames = [...]string{"linear", "split", "foreach", "switch", "join", "end"}

func (k Kind) String() string { return kindNames[k] }

// Node is one step of the graph.
type Node struct {
	Name string
	Kind Kind
	Step *flow.Step // the definition

	// Out lists successors in declaration order (switch: case order).
	Out []string
	// In lists predecessors in the order their steps were declared.
	In []string

	// SplitParents is the stack of enclosing split and foreach steps,
	// outermost first. A split's own stack excludes itself; a join's
	// includes the split it closes, as its last element.
	SplitParents []string
	// SplitBranches parallels SplitParents: the branch root taken under each.
	SplitBranches []string
	// MatchingJoin is the join that closes a split or foreach step.
	MatchingJoin string
	// InsideForeach is true when the step runs once per item of some
	// enclosing foreach (a foreach's own join is not inside it).
	InsideForeach bool
	// ForeachDepth is the number of enclosing foreaches the step runs
	// inside: the length of its tasks' index stack.
	ForeachDepth int
}

// Graph is a checked flow graph.
type Graph struct {
	Flow  *flow.Flow
	Nodes map[string]*Node
	Order []string // topological order, ties broken by declaration order
	Start string
	End   string
}

// Node returns the node called name, or nil.
func (g *Graph) Node(name string) *Node { return g.Nodes[name] }

// Split returns the innermost enclosing split or foreach of a step, or ""
// when the step is not inside one.
func (n *Node) Split() string {
	if len(n.SplitParents) == 0 {
		return ""
	}
	return n.SplitParents[len(n.SplitParents)-1]
}

// ForeachParents returns the enclosing foreach steps the node runs inside,
// outermost first; len(ForeachParents()) == ForeachDepth.
func (g *Graph) ForeachParents(n *Node) []string {
	var out []string
	for _, p := range n.SplitParents {
		pn := g.Nodes[p]
		if pn.Kind == Foreach && pn.MatchingJoin != n.Name {
			out = append(out, p)
		}
	}
	return out
}

// New builds the graph of f and lints it. When f breaks any rule, New
// returns a nil graph and a *LintError listing every violation, as bad
// input (a *usage.Error wraps it).
func New(f *flow.Flow) (*Graph, error) {
	l := &linter{f: f, g: &Graph{Flow: f, Nodes: map[string]*Node{}}}
	l.run()
	if len(l.vs) > 0 {
		return nil, usage.Wrap(&LintError{Flow: f.Name, Violations: l.vs})
	}
	return l.g, nil
}

// Trusted builds the graph of a definition without linting it: for a
// task process whose definition has the fingerprint (flow.Flow.Fingerprint)
// of the one the runtime linted when the run started. Everything else
// builds graphs with New.
func Trusted(f *flow.Flow) *Graph {
	l := &linter{f: f, g: &Graph{Flow: f, Nodes: map[string]*Node{}}}
	l.buildNodes()
	l.traverse()
	l.g.Order = l.g.topoOrder()
	return l.g
}

func kindOf(s *flow.Step) Kind {
	if s.IsJoin {
		return Join
	}
	switch s.Transition.Kind {
	case flow.End:
		return End
	case flow.Branch:
		return Split
	case flow.Foreach:
		return Foreach
	case flow.Switch:
		return Switch
	}
	return Linear
}

// topoOrder orders the nodes topologically, breaking ties by declaration
// order. It assumes the graph is acyclic.
func (g *Graph) topoOrder() []string {
	indeg := map[string]int{}
	for _, n := range g.Nodes {
		for _, o := range n.Out {
			indeg[o]++
		}
	}
	pos := map[string]int{}
	for i, s := range g.Flow.Steps {
		pos[s.Name] = i
	}
	var ready, order []string
	for _, s := range g.Flow.Steps {
		if g.Nodes[s.Name] != nil && indeg[s.Name] == 0 {
			ready = append(ready, s.Name)
		}
	}
	for len(ready) > 0 {
		slices.SortFunc(ready, func(a, b string) int { return pos[a] - pos[b] })
		n := ready[0]
		ready = ready[1:]
		order = append(order, n)
		for _, o := range g.Nodes[n].Out {
			indeg[o]--
			if indeg[o] == 0 {
				ready = append(ready, o)
			}
		}
	}
	return order
}
