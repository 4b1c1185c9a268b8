package graph

import (
	"bufio"
	"fmt"
	"io"
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

// mermaidID is the Mermaid node id of a step. Ids are prefixed because
// some step names ("end", "style", "class", "graph") are Mermaid keywords.
func mermaidID(name string) string { return "s_" + name }

// mermaidText quotes a label for Mermaid, which has no backslash escapes.
func mermaidText(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"`
}

// WriteMermaid writes the graph as a Mermaid flowchart.
func WriteMermaid(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "flowchart TD")
	for _, name := range g.Order {
		n := g.Nodes[name]
		id := mermaidID(name)
		switch n.Kind {
		case Switch:
			fmt.Fprintf(bw, "    %s{%s}\n", id, name)
		case Split, Foreach:
			fmt.Fprintf(bw, "    %s[/%s/]\n", id, name)
		case Join:
			fmt.Fprintf(bw, "    %s[\\%s\\]\n", id, name)
		default:
			fmt.Fprintf(bw, "    %s([%s])\n", id, name)
		}
	}
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

// WriteDot writes the graph as a Graphviz digraph.
func WriteDot(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %q {\n", g.Flow.Name)
	fmt.Fprintln(bw, "    rankdir=TB;")
	fmt.Fprintln(bw, `    node [fontname="Helvetica", shape=box, style=rounded];`)
	for _, name := range g.Order {
		n := g.Nodes[name]
		attrs := ""
		switch n.Kind {
		case Switch:
			attrs = ", shape=diamond, style=solid"
		case Split, Foreach:
			attrs = ", shape=trapezium, style=solid"
		case Join:
			attrs = ", shape=invtrapezium, style=solid"
		}
		fmt.Fprintf(bw, "    %q [label=%q%s];\n", name, name, attrs)
	}
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
