package graphtext

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/stepflow/stepflow/internal/graph"
)

// mermaidID is the Mermaid node id of a step. Ids are prefixed because
// some step names ("end", "style", "class", "graph") are Mermaid keywords.
func mermaidID(name string) string { return "s_" + name }

// mermaidText quotes a label for Mermaid, which has no backslash escapes.
func mermaidText(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"`
}

// WriteMermaid writes the graph as a Mermaid flowchart: a foreach's body
// is a subgraph that runs once per item; branch splits, foreach splits,
// switches and joins have shapes of their own; options are noted under a
// step's name.
func WriteMermaid(w io.Writer, g *graph.Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "flowchart TD")
	indent := func(d int) string { return strings.Repeat("    ", d+1) }
	clusters(g, func(f string, d int) {
		fmt.Fprintf(bw, "%ssubgraph %s[%s]\n", indent(d), "each_"+f, mermaidText("for each item of "+g.Nodes[f].Step.Transition.Field+": runs once per item"))
	}, func(n *graph.Node, d int) {
		label := mermaidText(strings.Join(nodeLines(g, n), "<br/>"))
		id := mermaidID(n.Name)
		switch n.Kind {
		case graph.Switch:
			fmt.Fprintf(bw, "%s%s{%s}\n", indent(d), id, label)
		case graph.Split:
			fmt.Fprintf(bw, "%s%s[/%s/]\n", indent(d), id, label)
		case graph.Foreach:
			fmt.Fprintf(bw, "%s%s[[%s]]\n", indent(d), id, label)
		case graph.Join:
			fmt.Fprintf(bw, "%s%s[\\%s\\]\n", indent(d), id, label)
		default:
			fmt.Fprintf(bw, "%s%s([%s])\n", indent(d), id, label)
		}
	}, func(d int) {
		fmt.Fprintf(bw, "%send\n", indent(d))
	})
	for _, name := range g.Order {
		n := g.Nodes[name]
		for _, o := range n.Out {
			if l := n.EdgeLabel(o); l != "" {
				fmt.Fprintf(bw, "    %s -->|%s| %s\n", mermaidID(name), mermaidText(l), mermaidID(o))
			} else {
				fmt.Fprintf(bw, "    %s --> %s\n", mermaidID(name), mermaidID(o))
			}
		}
	}
	return bw.Flush()
}
