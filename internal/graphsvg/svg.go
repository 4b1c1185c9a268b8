// Package graphsvg draws a flow's graph as SVG from its stored shape
// (graph.Shape), for the viewers: the run page of stepflow ui marks each
// step with its state. Flow binaries do not link it. It is pure: no I/O
// beyond the writer.
package graphsvg

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/stepflow/stepflow/internal/graph"
)

// Flows are nested splits and joins (series-parallel graphs), so a drawing
// follows from the nesting alone: a sequence stacks its parts vertically,
// a split lays its branches side by side between the split step and its
// join, and a foreach body is boxed as a "×N" group. No general layout
// engine is needed, and the drawing of a flow is always the same.

// Sizes of the drawing, in SVG user units (CSS pixels).
const (
	nodeH     = 44.0
	gapY      = 30.0
	gapX      = 24.0
	groupPad  = 10.0
	groupHead = 16.0
	charW     = 7.4
	margin    = 16.0
)

// Options annotates a drawing, for a run's view of its graph.
type Options struct {
	// Marks holds the state of each step: Class is added to the node's
	// classes ("succeeded", "failed", "running", "pending") and Text
	// replaces the node's second line (e.g. "3/10 done").
	Marks map[string]StepMark
	// Widths labels foreach groups ("×12"); the default is "× FIELD".
	Widths map[string]string
	// Link returns the href of a step's node, or "" for none.
	Link func(step string) string
	// NoStyle leaves out the embedded <style> element, for pages that
	// style the drawing themselves (and forbid inline styles).
	NoStyle bool
}

// StepMark is the state of one step in a run.
type StepMark struct {
	Class string
	Text  string
}

// block is a laid-out part of the drawing.
type block struct {
	kind  blockKind
	step  *graph.ShapeStep // node
	items []*block         // seq: top to bottom; par: branches, left to right
	// par only
	foreach string   // the foreach step, when the par is a foreach body
	labels  []string // edge label above each branch
	w, h    float64
	x, y    float64 // top left, once placed
	// where edges enter and leave, once computed by ends
	tops, bottoms []point
	ended         bool
}

type blockKind int

const (
	nodeBlock blockKind = iota
	seqBlock
	parBlock
)

// layout builds the block tree of a shape.
type layout struct {
	steps map[string]*graph.ShapeStep
	pos   map[string]int
	seen  map[string]bool
}

func newLayout(s graph.Shape) *layout {
	l := &layout{steps: map[string]*graph.ShapeStep{}, pos: map[string]int{}, seen: map[string]bool{}}
	for i := range s.Steps {
		st := &s.Steps[i]
		l.steps[st.Name] = st
		l.pos[st.Name] = i
	}
	return l
}

// seq lays out the steps from "from" up to, not including, stop.
func (l *layout) seq(from, stop string) *block {
	b := &block{kind: seqBlock}
	for cur := from; cur != "" && cur != stop; {
		st := l.steps[cur]
		if st == nil || l.seen[cur] {
			break // a malformed shape: draw what is sound
		}
		l.seen[cur] = true
		b.items = append(b.items, &block{kind: nodeBlock, step: st})
		switch st.Kind {
		case "split", "foreach":
			p := &block{kind: parBlock}
			if st.Kind == "foreach" {
				p.foreach = st.Name
			}
			for _, o := range st.Next {
				p.items = append(p.items, l.seq(o, st.Join))
				p.labels = append(p.labels, "")
			}
			b.items = append(b.items, p)
			cur = st.Join
		case "switch":
			m := l.merge(st.Next)
			p := &block{kind: parBlock}
			for i, o := range st.Next {
				p.items = append(p.items, l.seq(o, m))
				label := ""
				if i < len(st.Labels) {
					label = st.Labels[i]
				}
				p.labels = append(p.labels, label)
			}
			b.items = append(b.items, p)
			cur = m
		case "end":
			cur = ""
		default:
			cur = ""
			if len(st.Next) > 0 {
				cur = st.Next[0]
			}
		}
	}
	return b
}

// merge returns the first step, in topological order, that every one of
// targets reaches: where a switch's cases meet again.
func (l *layout) merge(targets []string) string {
	count := map[string]int{}
	for _, t := range targets {
		reach := map[string]bool{}
		var walk func(string)
		walk = func(n string) {
			if reach[n] || l.steps[n] == nil {
				return
			}
			reach[n] = true
			for _, o := range l.steps[n].Next {
				walk(o)
			}
		}
		walk(t)
		for n := range reach {
			count[n]++
		}
	}
	best := ""
	for n, c := range count {
		if c == len(targets) && (best == "" || l.pos[n] < l.pos[best]) {
			best = n
		}
	}
	return best
}

// measure sets the size of b and its parts. A node is as wide as its
// name and its second line: its mark's text when marks has one ("3/4
// done · 1 failed"), else its subtitle.
func (b *block) measure(marks map[string]StepMark) {
	switch b.kind {
	case nodeBlock:
		sub := subtitle(b.step)
		if m, ok := marks[b.step.Name]; ok && m.Text != "" {
			sub = m.Text
		}
		b.w = max(96, charW*float64(max(utf8.RuneCountInString(b.step.Name), utf8.RuneCountInString(sub)))+28)
		b.h = nodeH
	case seqBlock:
		b.w, b.h = 16, 0
		for i, it := range b.items {
			it.measure(marks)
			b.w = max(b.w, it.w)
			b.h += it.h
			if i > 0 {
				b.h += gapY
			}
		}
	case parBlock:
		b.w, b.h = 0, 0
		for i, it := range b.items {
			it.measure(marks)
			b.w += it.w
			if i > 0 {
				b.w += gapX
			}
			b.h = max(b.h, it.h)
		}
		if b.foreach != "" {
			b.w += 2 * groupPad
			b.h += 2*groupPad + groupHead
		}
		if slices.ContainsFunc(b.labels, func(s string) bool { return s != "" }) {
			b.h += groupHead // room for the case labels
		}
	}
}

// place sets the position of b's parts, b's own being (x, y).
func (b *block) place(x, y float64) {
	b.x, b.y = x, y
	switch b.kind {
	case seqBlock:
		for _, it := range b.items {
			it.place(x+(b.w-it.w)/2, y)
			y += it.h + gapY
		}
	case parBlock:
		top := y
		if b.foreach != "" {
			x += groupPad
			top += groupPad + groupHead
		}
		if slices.ContainsFunc(b.labels, func(s string) bool { return s != "" }) {
			top += groupHead
		}
		for _, it := range b.items {
			it.place(x, top)
			x += it.w + gapX
		}
	}
}

type point struct{ x, y float64 }

// svgWriter draws placed blocks.
type svgWriter struct {
	w      *bufio.Writer
	opts   Options
	fields map[string]string // foreach step -> field
	edges  strings.Builder
}

// ends returns where edges enter (tops) and leave (bottoms) a block,
// drawing the vertical pass-throughs of short branches the first time.
func (d *svgWriter) ends(b *block) (tops, bottoms []point) {
	if !b.ended {
		b.tops, b.bottoms = d.computeEnds(b)
		b.ended = true
	}
	return b.tops, b.bottoms
}

func (d *svgWriter) computeEnds(b *block) (tops, bottoms []point) {
	switch b.kind {
	case nodeBlock:
		c := b.x + b.w/2
		return []point{{c, b.y}}, []point{{c, b.y + b.h}}
	case seqBlock:
		if len(b.items) == 0 {
			c := point{b.x + b.w/2, b.y}
			return []point{c}, []point{c}
		}
		tops, _ = d.ends(b.items[0])
		_, bottoms = d.ends(b.items[len(b.items)-1])
		return tops, bottoms
	default: // par
		bottom := b.y + b.h
		if b.foreach != "" {
			bottom -= groupPad
		}
		for _, it := range b.items {
			t, bs := d.ends(it)
			tops = append(tops, t...)
			for _, p := range bs {
				if p.y < bottom {
					fmt.Fprintf(&d.edges, `<path class="sf-edge" d="M%.1f %.1fV%.1f"/>`+"\n", p.x, p.y, bottom)
				}
				bottoms = append(bottoms, point{p.x, bottom})
			}
		}
		if b.foreach != "" {
			// Edges enter and leave a foreach group through its box.
			c := b.x + b.w/2
			for _, t := range tops {
				fmt.Fprintf(&d.edges, `<path class="sf-edge" d="M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f"/>`+"\n",
					c, b.y, c, (b.y+t.y)/2, t.x, (b.y+t.y)/2, t.x, t.y)
			}
			for _, p := range bottoms {
				fmt.Fprintf(&d.edges, `<path class="sf-edge" d="M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f"/>`+"\n",
					p.x, p.y, p.x, p.y+groupPad/2, c, p.y+groupPad/2, c, b.y+b.h)
			}
			return []point{{c, b.y}}, []point{{c, b.y + b.h}}
		}
		return tops, bottoms
	}
}

// draw writes the nodes, groups and labels of b and collects its edges.
func (d *svgWriter) draw(b *block) {
	switch b.kind {
	case nodeBlock:
		d.node(b)
	case seqBlock:
		for i, it := range b.items {
			d.draw(it)
			if i > 0 {
				_, from := d.ends(b.items[i-1])
				to, _ := d.ends(it)
				for _, f := range from {
					for _, t := range to {
						edge(&d.edges, f, t)
					}
				}
			}
		}
	case parBlock:
		if b.foreach != "" {
			label := d.opts.Widths[b.foreach]
			if label == "" {
				label = "× " + d.field(b.foreach)
			}
			fmt.Fprintf(d.w, `<g class="sf-group" data-foreach="%s"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="8"/><text x="%.1f" y="%.1f">%s</text></g>`+"\n",
				esc(b.foreach), b.x, b.y, b.w, b.h, b.x+8, b.y+13, esc(label))
		}
		for i, it := range b.items {
			d.draw(it)
			if b.labels[i] != "" {
				t, _ := d.ends(it)
				fmt.Fprintf(d.w, `<text class="sf-label" x="%.1f" y="%.1f">%s</text>`+"\n", t[0].x, t[0].y-12, esc(b.labels[i]))
			}
		}
	}
}

// field returns the foreach field of step.
func (d *svgWriter) field(step string) string { return d.fields[step] }

func (d *svgWriter) node(b *block) {
	st := b.step
	class := "sf-node k-" + st.Kind
	sub := subtitle(st)
	if m, ok := d.opts.Marks[st.Name]; ok {
		if m.Class != "" {
			class += " s-" + m.Class
		}
		if m.Text != "" {
			sub = m.Text
		}
	}
	fmt.Fprintf(d.w, `<g class="%s" data-step="%s">`, esc(class), esc(st.Name))
	link := ""
	if d.opts.Link != nil {
		link = d.opts.Link(st.Name)
	}
	if link != "" {
		fmt.Fprintf(d.w, `<a href="%s">`, esc(link))
	}
	fmt.Fprintf(d.w, `<title>%s (%s)</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="%d"/>`,
		esc(st.Name), esc(st.Kind), b.x, b.y, b.w, b.h, radius(st.Kind))
	fmt.Fprintf(d.w, `<text class="sf-name" x="%.1f" y="%.1f">%s</text><text class="sf-sub" x="%.1f" y="%.1f">%s</text>`,
		b.x+b.w/2, b.y+19, esc(st.Name), b.x+b.w/2, b.y+35, esc(sub))
	if link != "" {
		d.w.WriteString("</a>")
	}
	d.w.WriteString("</g>\n")
}

func radius(kind string) int {
	if kind == "linear" || kind == "end" {
		return 18
	}
	return 4
}

// subtitle is a node's second line when it has no mark.
func subtitle(st *graph.ShapeStep) string {
	switch st.Kind {
	case "foreach":
		return "foreach " + st.Field
	case "switch":
		return "switch " + st.Field
	case "linear":
		return "step"
	}
	return st.Kind
}

func edge(w *strings.Builder, f, t point) {
	m := (f.y + t.y) / 2
	fmt.Fprintf(w, `<path class="sf-edge" marker-end="url(#sf-arrow)" d="M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f"/>`+"\n",
		f.x, f.y, f.x, m, t.x, m, t.x, t.y-1)
}

func esc(s string) string { return html.EscapeString(s) }

// svgStyle colours a standalone drawing; the UI's stylesheet has the same
// rules.
const svgStyle = `<style>
.sf-node rect{fill:#fff;stroke:#4b5563;stroke-width:1.5}
.sf-node.k-split rect,.sf-node.k-foreach rect,.sf-node.k-switch rect,.sf-node.k-join rect{fill:#f3f4f6}
.sf-node text{font:13px sans-serif;text-anchor:middle;fill:#111827}
.sf-node .sf-sub{font-size:11px;fill:#6b7280}
.sf-edge{fill:none;stroke:#9ca3af;stroke-width:1.5}
.sf-group rect{fill:none;stroke:#9ca3af;stroke-dasharray:5 4}
.sf-group text,.sf-label{font:11px sans-serif;fill:#6b7280}
.sf-label{text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px}
.sf-arrowhead{fill:#9ca3af}
.s-succeeded rect{fill:#dcfce7;stroke:#16a34a}
.s-failed rect{fill:#fee2e2;stroke:#dc2626}
.s-running rect{fill:#dbeafe;stroke:#2563eb}
.s-pending rect{fill:#fff;stroke:#d1d5db;stroke-dasharray:4 3}
.s-reused rect{fill:#f5f5f4;stroke:#78716c}
</style>
`

// Write draws the shape as a standalone SVG image: the series-parallel
// layout described above, with each step a node (rounded for plain steps,
// square for splits, switches and joins) and each foreach body a "×N"
// group.
func Write(w io.Writer, s graph.Shape, opts Options) error {
	bw := bufio.NewWriter(w)
	d := &svgWriter{w: bw, opts: opts, fields: map[string]string{}}
	for _, st := range s.Steps {
		d.fields[st.Name] = st.Field
	}
	root := &block{kind: seqBlock}
	if len(s.Steps) > 0 {
		root = newLayout(s).seq(s.Steps[0].Name, "")
	}
	root.measure(opts.Marks)
	root.place(margin, margin)
	width, height := root.w+2*margin, root.h+2*margin
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" class="sf-graph" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="graph of %s">`+"\n",
		width, height, width, height, esc(s.Flow))
	if !opts.NoStyle {
		bw.WriteString(svgStyle)
	}
	bw.WriteString(`<defs><marker id="sf-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="sf-arrowhead"/></marker></defs>` + "\n")
	// Nodes go into a buffer first: edges are drawn under them.
	var nodes strings.Builder
	d.w = bufio.NewWriter(&nodes)
	d.draw(root)
	d.w.Flush()
	bw.WriteString(d.edges.String())
	bw.WriteString(nodes.String())
	bw.WriteString("</svg>\n")
	return bw.Flush()
}
