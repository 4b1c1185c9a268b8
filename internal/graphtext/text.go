// Package graphtext writes a flow's graph as text: an indented outline,
// a Mermaid flowchart and a Graphviz dot digraph, the forms the flow
// binary's show command prints. It is pure: no I/O beyond the writer.
package graphtext

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

// depth is how far a step is indented when drawn: the number of open
// splits around it.
func depth(n *graph.Node) int {
	if n.Kind == graph.Join {
		return len(n.SplitParents) - 1
	}
	return len(n.SplitParents)
}

// describe renders the node's transition in one phrase.
func describe(n *graph.Node) string {
	t := n.Step.Transition
	var b strings.Builder
	if n.Kind == graph.Join {
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
		parts = append(parts, fmt.Sprintf("env %s", strings.Join(slices.Sorted(maps.Keys(o.Env)), ",")))
	}
	if o.Batch.Image != "" {
		parts = append(parts, "base image "+o.Batch.Image)
	}
	if len(o.Drop) > 0 {
		parts = append(parts, "drops "+strings.Join(o.Drop, ","))
	}
	if len(o.Secrets) > 0 {
		var names []string
		for _, s := range o.Secrets {
			names = append(names, s.Name)
		}
		parts = append(parts, "secrets "+strings.Join(names, ","))
	}
	if c := o.Cache; c != nil {
		s := "cached"
		if c.Version != "" {
			s += " " + c.Version
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// WriteText writes the graph as indented text, one step per line in
// topological order, followed by its parameters and configs.
func WriteText(w io.Writer, g *graph.Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "flow %s\n", g.Flow.Name)
	width := 0
	for _, name := range g.Order {
		if l := len(name) + 2*depth(g.Nodes[name]); l > width {
			width = l
		}
	}
	fmt.Fprintln(bw, "\nsteps:")
	for _, name := range g.Order {
		n := g.Nodes[name]
		label := strings.Repeat("  ", depth(n)) + name
		line := fmt.Sprintf("  %-*s  %s", width, label, describe(n))
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
			if p.Kind == flow.File {
				fmt.Fprintf(bw, "  --%s PATH file (%s; stored in the datastore when a run starts, read by every step) -> %s: %s\n", p.Name, def, p.Field, p.Help)
				continue
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
	writeSecrets(bw, g)
	if g.Flow.OnFinish != nil {
		fmt.Fprintln(bw, "\nexit hook: OnFinish runs after every run ends, succeeded or failed")
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
			fmt.Fprintf(bw, "  %s\n", graph.TriggerString(t))
		}
	}
	// What keeps a foreach from AWS Batch array jobs on AWS, when its
	// body's options do (docs/state-machine.md, "Array jobs").
	var notes []string
	for _, name := range g.Order {
		if _, why := g.ArrayJobBody(g.Nodes[name]); why != "" {
			notes = append(notes, why)
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(bw, "\non AWS:")
		for _, n := range notes {
			fmt.Fprintf(bw, "  %s\n", n)
		}
	}
	return bw.Flush()
}
