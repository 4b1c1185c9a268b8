package graph

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
)

// depth is how far a step is indented when drawn: the number of open
// splits around it.
func (n *Node) depth() int {
	if n.Kind == Join {
		return len(n.SplitParents) - 1
	}
	return len(n.SplitParents)
}

// describe renders the node's transition in one phrase.
func (g *Graph) describe(n *Node) string {
	t := n.Step.Transition
	var b strings.Builder
	if n.Kind == Join {
		fmt.Fprintf(&b, "join of %s ", n.Split())
	}
	switch t.Kind {
	case flow.End:
		b.WriteString("end")
	case flow.Next:
		fmt.Fprintf(&b, "-> %s", t.Targets[0])
	case flow.Branch:
		fmt.Fprintf(&b, "branch -> %s", strings.Join(t.Targets, ", "))
	case flow.Foreach:
		fmt.Fprintf(&b, "foreach %s -> %s", t.Field, t.Targets[0])
	case flow.Switch:
		var cs []string
		for _, c := range t.Cases {
			cs = append(cs, fmt.Sprintf("%s: %s", c.Value, c.Target))
		}
		fmt.Fprintf(&b, "switch %s {%s}", t.Field, strings.Join(cs, ", "))
	}
	return b.String()
}

// optionSummary lists a step's options briefly.
func optionSummary(o flow.Options) string {
	var parts []string
	if r := o.Retry; r != nil {
		s := fmt.Sprintf("retry %d", r.Times)
		if r.Delay > 0 {
			s += fmt.Sprintf(" after %s", r.Delay)
		}
		if r.Backoff > 1 {
			s += fmt.Sprintf(" x%g", r.Backoff)
		}
		parts = append(parts, s)
	}
	if o.Catch != "" {
		parts = append(parts, "catch "+o.Catch)
	}
	if o.Timeout > 0 {
		parts = append(parts, "timeout "+o.Timeout.String())
	}
	r := o.Resources
	if r.CPU > 0 {
		parts = append(parts, fmt.Sprintf("cpu %g", r.CPU))
	}
	if r.Memory != "" {
		parts = append(parts, "memory "+r.Memory)
	}
	if r.GPU > 0 {
		parts = append(parts, fmt.Sprintf("gpu %d", r.GPU))
	}
	if len(o.Env) > 0 {
		parts = append(parts, fmt.Sprintf("env %s", strings.Join(sortedKeys(o.Env), ",")))
	}
	if o.Batch.Image != "" {
		parts = append(parts, "image "+o.Batch.Image)
	}
	if len(o.Drop) > 0 {
		parts = append(parts, "drops "+strings.Join(o.Drop, ","))
	}
	return strings.Join(parts, ", ")
}

// WriteText writes the graph as indented text, one step per line in
// topological order, followed by its parameters and configs.
func WriteText(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "flow %s\n", g.Flow.Name)
	width := 0
	for _, name := range g.Order {
		if l := len(name) + 2*g.Nodes[name].depth(); l > width {
			width = l
		}
	}
	fmt.Fprintln(bw, "\nsteps:")
	for _, name := range g.Order {
		n := g.Nodes[name]
		label := strings.Repeat("  ", n.depth()) + name
		line := fmt.Sprintf("  %-*s  %s", width, label, g.describe(n))
		if opts := optionSummary(n.Step.Options); opts != "" {
			line += "  [" + opts + "]"
		}
		fmt.Fprintln(bw, line)
	}
	if len(g.Flow.Params) > 0 {
		fmt.Fprintln(bw, "\nparameters:")
		for _, p := range g.Flow.Params {
			def := "required"
			if !p.Required {
				s, err := p.Format(p.Default)
				if err != nil {
					s = fmt.Sprint(p.Default)
				}
				if s == "" {
					s = `""`
				}
				def = "default " + s
			}
			fmt.Fprintf(bw, "  --%s %s (%s) -> %s: %s\n", p.Name, p.Kind, def, p.Field, p.Help)
		}
	}
	if len(g.Flow.Configs) > 0 {
		fmt.Fprintln(bw, "\nconfigs:")
		for _, c := range g.Flow.Configs {
			fmt.Fprintf(bw, "  --config %s=%s -> %s: %s\n", c.Name, c.Path, c.Field, c.Help)
		}
	}
	if s := g.Flow.Schedule; s != nil {
		tz := s.Timezone
		if tz == "" {
			tz = "UTC"
		}
		fmt.Fprintf(bw, "\nschedule: %s (%s)\n", s.Cron, tz)
	}
	if len(g.Flow.Triggers) > 0 {
		fmt.Fprintln(bw, "\ntriggers:")
		for _, t := range g.Flow.Triggers {
			fmt.Fprintf(bw, "  %s\n", TriggerString(t))
		}
	}
	return bw.Flush()
}

// edgeLabel returns the label of the edge from n to target, if any.
func edgeLabel(n *Node, target string) string {
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

// foreachChain returns the foreach steps whose body n is in, outermost
// first (a foreach's join is not in its body).
func (g *Graph) foreachChain(n *Node) []string {
	parents := n.SplitParents
	if n.Kind == Join && len(parents) > 0 {
		parents = parents[:len(parents)-1]
	}
	var chain []string
	for _, p := range parents {
		if g.Nodes[p] != nil && g.Nodes[p].Kind == Foreach {
			chain = append(chain, p)
		}
	}
	return chain
}

// nodeLines are the lines of a step's box: its name, what kind of split
// or join it is, and its options.
func (g *Graph) nodeLines(n *Node) []string {
	lines := []string{n.Name}
	t := n.Step.Transition
	switch n.Kind {
	case Split:
		lines = append(lines, "branch")
	case Foreach:
		lines = append(lines, "foreach "+t.Field)
	case Switch:
		lines = append(lines, "switch "+t.Field)
	case Join:
		if g.Nodes[n.Split()] != nil && g.Nodes[n.Split()].Kind == Foreach {
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
func (g *Graph) clusters(open func(foreach string, depth int), node func(n *Node, depth int), close func(depth int)) {
	var walk func(prefix []string)
	walk = func(prefix []string) {
		done := map[string]bool{}
		for _, name := range g.Order {
			n := g.Nodes[name]
			chain := g.foreachChain(n)
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
func WriteMermaid(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "flowchart TD")
	indent := func(d int) string { return strings.Repeat("    ", d+1) }
	g.clusters(func(f string, d int) {
		fmt.Fprintf(bw, "%ssubgraph %s[%s]\n", indent(d), "each_"+f, mermaidText("for each item of "+g.Nodes[f].Step.Transition.Field+": runs once per item"))
	}, func(n *Node, d int) {
		label := mermaidText(strings.Join(g.nodeLines(n), "<br/>"))
		id := mermaidID(n.Name)
		switch n.Kind {
		case Switch:
			fmt.Fprintf(bw, "%s%s{%s}\n", indent(d), id, label)
		case Split:
			fmt.Fprintf(bw, "%s%s[/%s/]\n", indent(d), id, label)
		case Foreach:
			fmt.Fprintf(bw, "%s%s[[%s]]\n", indent(d), id, label)
		case Join:
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
			if l := edgeLabel(n, o); l != "" {
				fmt.Fprintf(bw, "    %s -->|%s| %s\n", mermaidID(name), mermaidText(l), mermaidID(o))
			} else {
				fmt.Fprintf(bw, "    %s --> %s\n", mermaidID(name), mermaidID(o))
			}
		}
	}
	return bw.Flush()
}

// WriteDot writes the graph as a Graphviz digraph: a foreach's body is a
// dashed cluster that runs once per item; branch splits, foreach splits,
// switches and joins have shapes of their own; options are noted under a
// step's name; one font throughout.
func WriteDot(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %q {\n", g.Flow.Name)
	fmt.Fprintln(bw, "    rankdir=TB;")
	fmt.Fprintln(bw, `    graph [fontname="Helvetica", fontsize=11];`)
	fmt.Fprintln(bw, `    node [fontname="Helvetica", fontsize=11, shape=box, style=rounded];`)
	fmt.Fprintln(bw, `    edge [fontname="Helvetica", fontsize=10];`)
	indent := func(d int) string { return strings.Repeat("    ", d+1) }
	g.clusters(func(f string, d int) {
		fmt.Fprintf(bw, "%ssubgraph %q {\n", indent(d), "cluster_"+f)
		fmt.Fprintf(bw, "%s    label=%q; style=dashed; labeljust=l;\n", indent(d), "for each item of "+g.Nodes[f].Step.Transition.Field+": runs once per item")
	}, func(n *Node, d int) {
		attrs := ""
		switch n.Kind {
		case Switch:
			attrs = ", shape=diamond, style=solid"
		case Split:
			attrs = ", shape=trapezium, style=solid"
		case Foreach:
			attrs = ", shape=trapezium, style=\"solid,bold\", peripheries=2"
		case Join:
			attrs = ", shape=invtrapezium, style=solid"
		}
		fmt.Fprintf(bw, "%s%q [label=%q%s];\n", indent(d), n.Name, strings.Join(g.nodeLines(n), "\n"), attrs)
	}, func(d int) {
		fmt.Fprintf(bw, "%s}\n", indent(d))
	})
	for _, name := range g.Order {
		n := g.Nodes[name]
		for _, o := range n.Out {
			if l := edgeLabel(n, o); l != "" {
				fmt.Fprintf(bw, "    %q -> %q [label=%q];\n", name, o, l)
			} else {
				fmt.Fprintf(bw, "    %q -> %q;\n", name, o)
			}
		}
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}
