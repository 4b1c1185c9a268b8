package graphtext

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/stepflow/stepflow/internal/graph"
)

// WriteDot writes the graph as a Graphviz digraph: a foreach's body is a
// dashed cluster that runs once per item; branch splits, foreach splits,
// switches and joins have shapes of their own; options are noted under a
// step's name; one font throughout.
func WriteDot(w io.Writer, g *graph.Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %q {\n", g.Flow.Name)
	fmt.Fprintln(bw, "    rankdir=TB;")
	fmt.Fprintln(bw, `    graph [fontname="Helvetica", fontsize=11];`)
	fmt.Fprintln(bw, `    node [fontname="Helvetica", fontsize=11, shape=box, style=rounded];`)
	fmt.Fprintln(bw, `    edge [fontname="Helvetica", fontsize=10];`)
	indent := func(d int) string { return strings.Repeat("    ", d+1) }
	clusters(g, func(f string, d int) {
		fmt.Fprintf(bw, "%ssubgraph %q {\n", indent(d), "cluster_"+f)
		fmt.Fprintf(bw, "%s    label=%q; style=dashed; labeljust=l;\n", indent(d), "for each item of "+g.Nodes[f].Step.Transition.Field+": runs once per item")
	}, func(n *graph.Node, d int) {
		attrs := ""
		switch n.Kind {
		case graph.Switch:
			attrs = ", shape=diamond, style=solid"
		case graph.Split:
			attrs = ", shape=trapezium, style=solid"
		case graph.Foreach:
			attrs = ", shape=trapezium, style=\"solid,bold\", peripheries=2"
		case graph.Join:
			attrs = ", shape=invtrapezium, style=solid"
		}
		fmt.Fprintf(bw, "%s%q [label=%q%s];\n", indent(d), n.Name, strings.Join(nodeLines(g, n), "\n"), attrs)
	}, func(d int) {
		fmt.Fprintf(bw, "%s}\n", indent(d))
	})
	for _, name := range g.Order {
		n := g.Nodes[name]
		for _, o := range n.Out {
			if l := n.EdgeLabel(o); l != "" {
				fmt.Fprintf(bw, "    %q -> %q [label=%q];\n", name, o, l)
			} else {
				fmt.Fprintf(bw, "    %q -> %q;\n", name, o)
			}
		}
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}
