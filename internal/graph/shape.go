package graph

import (
	"encoding/json"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
)

// Shape is what drawing a graph needs and nothing more: each step's kind,
// successors and, for a split or foreach, the join that closes it. It is
// stored with every run (as JSON), so a viewer draws the graph of any run
// without the flow's code.
type Shape struct {
	Flow  string      `json:"flow,omitempty"`
	Steps []ShapeStep `json:"steps"` // topological order; the first is the start step
}

// ShapeStep is one step of a Shape.
type ShapeStep struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // Kind.String(): linear, split, foreach, switch, join, end
	// Next lists the successors (switch: in case order).
	Next []string `json:"next,omitempty"`
	// Labels parallels Next: the label of each outgoing edge ("" for none).
	Labels []string `json:"labels,omitempty"`
	// Join is the step closing a split or foreach.
	Join string `json:"join,omitempty"`
	// Field is the foreach's slice field or the switch's compared field.
	Field string `json:"field,omitempty"`
	// Drop lists the fields a join drops (stepflow.Drop): left at their
	// zero value on purpose, which viewers mark as dropped.
	Drop []string `json:"drop,omitempty"`
}

// ShapeJSON returns g.Shape() as JSON, for the run record.
func (g *Graph) ShapeJSON() json.RawMessage {
	b, err := json.Marshal(g.Shape())
	if err != nil {
		panic(err) // a Shape is strings only
	}
	return b
}

// Shape returns the drawable shape of g.
func (g *Graph) Shape() Shape {
	s := Shape{Flow: g.Flow.Name, Steps: make([]ShapeStep, 0, len(g.Order))}
	for _, name := range g.Order {
		n := g.Nodes[name]
		st := ShapeStep{Name: name, Kind: n.Kind.String(), Next: n.Out, Field: n.Step.Transition.Field}
		if n.Kind == Split || n.Kind == Foreach {
			st.Join = n.MatchingJoin
		}
		if n.Kind == Join {
			st.Drop = n.Step.Options.Drop
		}
		if n.Kind == Switch {
			st.Labels = make([]string, len(n.Out))
			for i, o := range n.Out {
				st.Labels[i] = n.EdgeLabel(o)
			}
		}
		s.Steps = append(s.Steps, st)
	}
	return s
}

// EdgeLabel returns the label of the edge from n to target: the foreach
// field, or the switch values that lead there; "" for none.
func (n *Node) EdgeLabel(target string) string {
	t := n.Step.Transition
	switch t.Kind {
	case flow.Foreach:
		return "foreach " + t.Field
	case flow.Switch:
		var vs []string
		for _, c := range t.Cases {
			if c.Target == target {
				vs = append(vs, c.Value)
			}
		}
		return t.Field + " = " + strings.Join(vs, " | ")
	}
	return ""
}
