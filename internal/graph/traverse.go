package graph

import (
	"fmt"
	"slices"
	"strings"
)

// frame is one open split on the path from start: the split step and the
// branch root taken under it.
type frame struct {
	split, branch string
	foreach       bool // split is a foreach
}

type stack []frame

func (s stack) key() string {
	var b strings.Builder
	for _, f := range s {
		b.WriteString(f.split)
		b.WriteByte('/')
		b.WriteString(f.branch)
		b.WriteByte(';')
	}
	return b.String()
}

func (s stack) describe() string {
	if len(s) == 0 {
		return "outside any split"
	}
	var parts []string
	for _, f := range s {
		if f.foreach {
			parts = append(parts, fmt.Sprintf("the foreach of %s", f.split))
		} else {
			parts = append(parts, fmt.Sprintf("branch %s of %s", f.branch, f.split))
		}
	}
	return "inside " + strings.Join(parts, ", ")
}

type traversal struct {
	l       *linter
	stacks  map[string]stack           // stack each node was first reached with (for joins: after closing)
	closes  map[string]string          // join -> split it closes
	reached map[string]map[string]bool // split -> branch roots that reached its join
	flagged map[string]bool            // nodes already reported, to keep one message each
	merged  map[string]bool            // splits whose branches meet at a non-join (reported there)
	crossed map[string]bool            // splits reported in a crossing-join (their branches reach no join of theirs)
	from    map[string]string          // the step each node was first reached from
	open    []openSplit                // ends reached inside a split, reported after the walk
}

// openSplit is an end step reached while a split is still open.
type openSplit struct {
	split string
	st    stack
	from  string // the step that led to end
}

// traverse walks the graph from start with the stack of open splits, sets
// every node's split attributes and matching joins, and reports unbalanced
// or crossing joins, unreachable steps and steps where branches meet.
func (l *linter) traverse() {
	t := &traversal{l: l, stacks: map[string]stack{}, closes: map[string]string{},
		reached: map[string]map[string]bool{}, flagged: map[string]bool{}, merged: map[string]bool{},
		crossed: map[string]bool{}, from: map[string]string{}}
	t.visit("start", "", nil)
	g := l.g
	// An end reached inside a split is reported once, unless the split's
	// branches were already reported meeting at a non-join step.
	openReported := map[string]bool{}
	for _, o := range t.open {
		if !t.merged[o.split] && !openReported[o.split] {
			openReported[o.split] = true
			if t.switchSkips(o.from, "end", o.st) {
				continue
			}
			l.add("end", "open-split", fmt.Sprintf("join %s before end", o.split),
				"end is reached %s, which is never joined", o.st.describe())
		}
	}
	// Reachability is plain graph reachability: the walk above stops early
	// at steps it reports, and their successors are reachable all the same.
	reachable := map[string]bool{}
	var mark func(string)
	mark = func(n string) {
		if reachable[n] {
			return
		}
		reachable[n] = true
		for _, o := range g.Nodes[n].Out {
			mark(o)
		}
	}
	mark("start")
	for _, s := range l.f.Steps {
		if !reachable[s.Name] {
			l.add(s.Name, "unreachable", "make some step transition to it, or remove it", "step is not reachable from start")
		}
	}
	for _, s := range l.f.Steps {
		n := g.Nodes[s.Name]
		if n.Kind != Split && n.Kind != Foreach {
			continue
		}
		if _, ok := t.stacks[s.Name]; !ok {
			continue
		}
		if n.MatchingJoin == "" {
			if !t.flagged[s.Name] && !t.merged[s.Name] && !openReported[s.Name] && !t.crossed[s.Name] {
				l.add(s.Name, "unjoined-split", "make every branch lead to one join step declared with Join", "%s is never joined", n.Kind)
			}
			continue
		}
		if t.crossed[s.Name] {
			continue // its branches end at a join of another split: reported there
		}
		for _, b := range n.Out {
			if !t.reached[s.Name][b] {
				l.add(s.Name, "unbalanced-join", fmt.Sprintf("make branch %s lead to join %s", b, n.MatchingJoin),
					"branch %s does not reach join %q", b, n.MatchingJoin)
			}
		}
	}
	for name, st := range t.stacks {
		n := g.Nodes[name]
		if n.Kind == Join {
			n.SplitParents = append(stackSplits(st), t.closes[name])
			n.SplitBranches = append(stackBranches(st), "")
		} else {
			n.SplitParents = stackSplits(st)
			n.SplitBranches = stackBranches(st)
		}
	}
	for _, n := range g.Nodes {
		for _, p := range n.SplitParents {
			pn := g.Nodes[p]
			if pn.Kind == Foreach && pn.MatchingJoin != n.Name {
				n.InsideForeach = true
				n.ForeachDepth++
			}
		}
	}
}

func stackSplits(s stack) []string {
	out := []string{}
	for _, f := range s {
		out = append(out, f.split)
	}
	return out
}

func stackBranches(s stack) []string {
	out := []string{}
	for _, f := range s {
		out = append(out, f.branch)
	}
	return out
}

func (t *traversal) visit(name, from string, st stack) {
	l, g := t.l, t.l.g
	n := g.Nodes[name]
	if n.Kind == Join {
		if len(st) == 0 {
			t.report(name, "join-without-split", "remove Join (declare it with Step) or put it after a Branch or Foreach",
				"join is reached outside any split, so it has nothing to join")
			return
		}
		top := st[len(st)-1]
		split := g.Nodes[top.split]
		if t.reached[top.split] == nil {
			t.reached[top.split] = map[string]bool{}
		}
		t.reached[top.split][top.branch] = true
		switch {
		case split.MatchingJoin == "":
			split.MatchingJoin = name
		case split.MatchingJoin != name:
			t.crossed[top.split] = true
			if !t.flagged[top.split] {
				t.flagged[top.split] = true
				l.add(top.split, "crossing-join", "make all branches of the split meet at one join",
					"%s is closed by two joins, %q and %q", split.Kind, split.MatchingJoin, name)
			}
			return
		}
		if prev, ok := t.closes[name]; ok && prev != top.split {
			t.crossed[prev], t.crossed[top.split] = true, true
			t.report(name, "crossing-join", "a join closes the innermost open split; join the inner split first",
				"join closes both %q and %q", prev, top.split)
			return
		}
		t.closes[name] = top.split
		st = st[:len(st)-1]
	}
	if prev, ok := t.stacks[name]; ok {
		if n.Kind == End && len(st) > 0 && len(prev) > 0 {
			// Both arrivals are inside open splits: report those, not a merge.
			t.open = append(t.open, openSplit{split: st[len(st)-1].split, st: slices.Clone(st), from: from})
			return
		}
		if prev.key() != st.key() {
			t.mismatch(name, prev, st, t.from[name], from)
		}
		return
	}
	t.stacks[name] = slices.Clone(st)
	t.from[name] = from
	if n.Kind == End && len(st) > 0 {
		t.open = append(t.open, openSplit{split: st[len(st)-1].split, st: slices.Clone(st), from: from})
		return
	}
	switch n.Kind {
	case Split, Foreach:
		for _, o := range n.Out {
			t.visit(o, name, append(slices.Clone(st), frame{split: name, branch: o, foreach: n.Kind == Foreach}))
		}
	default:
		for _, o := range n.Out {
			t.visit(o, name, st)
		}
	}
}

// mismatch reports a step reached with two different stacks of open
// splits, a from step fromA and b from step fromB.
func (t *traversal) mismatch(name string, a, b stack, fromA, fromB string) {
	if len(a) == len(b) && len(a) > 0 && a[:len(a)-1].key() == b[:len(b)-1].key() &&
		a[len(a)-1].split == b[len(b)-1].split && t.l.g.Nodes[name].Kind != Join {
		split := a[len(a)-1].split
		t.merged[split] = true
		t.report(name, "merge-without-join", fmt.Sprintf("declare %s with Join to merge the branches of %s", name, split),
			"branches %s and %s of %q meet here, but the step is not a join", a[len(a)-1].branch, b[len(b)-1].branch, split)
		return
	}
	if len(a) > len(b) && t.switchSkips(fromA, name, a) || len(b) > len(a) && t.switchSkips(fromB, name, b) {
		return
	}
	t.report(name, "unbalanced-join", "every path into a step must pass through the same splits and joins",
		"step is reached %s and also %s", a.describe(), b.describe())
}

func (t *traversal) report(step, rule, fix, format string, args ...any) {
	if t.flagged[step] {
		return
	}
	t.flagged[step] = true
	t.l.add(step, rule, fix, format, args...)
}

// switchSkips reports a switch step, from, whose case leads to step to
// while the splits of st are still open, so that the path skips their
// join; it returns false, reporting nothing, when from is not a switch.
// The switch is where the fix goes: to is reached correctly by its other
// paths.
func (t *traversal) switchSkips(from, to string, st stack) bool {
	n := t.l.g.Nodes[from]
	if n == nil || n.Kind != Switch || len(st) == 0 {
		return false
	}
	value := ""
	for _, c := range n.Step.Transition.Cases {
		if c.Target == to {
			value = c.Value
			break
		}
	}
	split := st[len(st)-1].split
	join := "the join of " + split
	if j := t.l.g.Nodes[split].MatchingJoin; j != "" {
		join = fmt.Sprintf("join %q", j)
	}
	t.report(from, "unbalanced-join", fmt.Sprintf("make case %q lead to %s (or to a step before it), or move the switch after the join", value, join),
		"case %q goes to %s from %s, skipping %s", value, to, st.describe(), join)
	return true
}
