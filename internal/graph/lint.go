package graph

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
)

// MaxNameLen bounds step names so that every compiled state name stays
// within AWS's 80 characters.
const MaxNameLen = 64

// The name rules, as patterns matched by hand (a regexp compiled at
// package initialisation costs every flow binary's start-up):
var (
	stepName  = namePattern{first: "a-z", rest: "a-z0-9_"}        // ^[a-z][a-z0-9_]*$
	flowName  = namePattern{first: "A-Za-z", rest: "A-Za-z0-9_"}  // ^[A-Za-z][A-Za-z0-9_]*$
	envName   = namePattern{first: "A-Za-z_", rest: "A-Za-z0-9_"} // ^[A-Za-z_][A-Za-z0-9_]*$
	paramName = namePattern{first: "a-z", rest: "a-z0-9-"}        // ^[a-z][a-z0-9-]*$
)

// namePattern matches a non-empty ASCII name whose first byte is in the
// class first and every other byte in rest; a class lists ranges ("a-z")
// and single bytes, as in a regexp's brackets.
type namePattern struct{ first, rest string }

func (p namePattern) MatchString(s string) bool {
	if s == "" || !inClass(p.first, s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !inClass(p.rest, s[i]) {
			return false
		}
	}
	return true
}

func inClass(class string, c byte) bool {
	for i := 0; i < len(class); i++ {
		if i+2 < len(class) && class[i+1] == '-' {
			if class[i] <= c && c <= class[i+2] {
				return true
			}
			i += 2
			continue
		}
		if class[i] == c {
			return true
		}
	}
	return false
}

// reservedSteps are names that would clash with the datastore layout or the
// CLI's pathspecs.
// "resumes" is the folder of a run's resume claims
// (<flow>/runs/<run>/resumes/), where a step's tasks would be stored too.
var reservedSteps = []string{"blobs", "runs", "parameters", "input", "index", "resumes"}

type linter struct {
	f  *flow.Flow
	g  *Graph
	vs []Violation
}

func (l *linter) add(step, rule, fix, format string, args ...any) {
	l.vs = append(l.vs, Violation{Step: step, Rule: rule, Problem: fmt.Sprintf(format, args...), Fix: fix})
}

func (l *linter) run() {
	f := l.f
	for _, err := range f.Errors {
		l.add("", "definition", "correct the declaration", "%v", err)
	}
	if !flowName.MatchString(f.Name) || len(f.Name) > MaxNameLen {
		l.add("", "flow-name", "use letters, digits and underscores, starting with a letter, at most 64 characters",
			"flow name %q is not valid", f.Name)
	}
	l.names()
	l.transitions()
	l.triggers()
	if len(l.vs) > 0 {
		// The structural checks below assume names and targets are sound.
		l.options()
		return
	}
	l.buildNodes()
	if l.cycles() {
		l.options()
		return
	}
	l.traverse()
	l.options()
	l.g.Order = l.g.topoOrder()
}

func (l *linter) names() {
	seen := map[string]bool{}
	for _, s := range l.f.Steps {
		switch {
		case seen[s.Name]:
			l.add(s.Name, "duplicate-step", "give each step a unique name", "step is declared more than once")
		case !stepName.MatchString(s.Name):
			l.add(s.Name, "step-name", "use lower-case letters, digits and underscores, starting with a letter",
				"step name %q is not valid", s.Name)
		case len(s.Name) > MaxNameLen:
			l.add(s.Name, "step-name", fmt.Sprintf("shorten it to at most %d characters", MaxNameLen),
				"step name is %d characters long", len(s.Name))
		case slices.Contains(reservedSteps, s.Name):
			l.add(s.Name, "reserved-step", "rename the step",
				"%q is a reserved name (reserved: %s)", s.Name, strings.Join(reservedSteps, ", "))
		}
		seen[s.Name] = true
		if s.Func == nil {
			l.add(s.Name, "no-function", "pass the step's function, e.g. (*MyFlow).Train", "step has no function")
		}
	}
	if !seen["start"] {
		l.add("", "no-start", `declare a step named "start"; it runs first`, "the flow has no start step")
	}
	if !seen["end"] {
		l.add("", "no-end", `declare a step named "end" with no transition; it runs last`, "the flow has no end step")
	}
}

func (l *linter) known() []string {
	var names []string
	for _, s := range l.f.Steps {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	return names
}

func (l *linter) transitions() {
	f := l.f
	for _, s := range f.Steps {
		t := s.Transition
		if s.Name == "end" {
			if t.Kind != flow.End {
				l.add(s.Name, "end-transition", "remove the transition from end", "the end step has a %s transition", t.Kind)
			}
			if s.IsJoin {
				l.add(s.Name, "end-join", `add a join step before end, e.g. Join("join", ..., stepflow.Next("end"))`, "the end step is declared as a join")
			}
			continue
		}
		if t.Kind == flow.End {
			l.add(s.Name, "no-transition", `add stepflow.Next(...), Branch, Foreach or Switch; only the step named "end" may have none`,
				"step has no transition")
			continue
		}
		if s.IsJoin && t.Kind != flow.Next {
			l.add(s.Name, "join-transition", "give the join stepflow.Next(...) and put the branch, foreach or switch on the step after it",
				"a join may only have a Next transition, not %s", t.Kind)
		}
		for _, target := range t.Targets {
			switch {
			case f.Step(target) == nil:
				l.add(s.Name, "unknown-target", "use one of: "+strings.Join(l.known(), ", "),
					"%s targets unknown step %q", t.Kind, target)
			case target == "start":
				l.add(s.Name, "start-target", "no step may transition to start; target another step",
					"%s targets the start step", t.Kind)
			}
		}
		switch t.Kind {
		case flow.Branch:
			if len(t.Targets) < 2 {
				l.add(s.Name, "branch-width", "give Branch at least two steps, or use Next for one",
					"Branch has %d target(s)", len(t.Targets))
			}
			if d := dup(t.Targets); d != "" {
				l.add(s.Name, "branch-duplicate", "list each branch once", "Branch lists %q twice", d)
			}
			for _, target := range t.Targets {
				if c := f.Step(target); c != nil && c.IsJoin {
					l.add(s.Name, "branch-into-join", "put at least one step in every branch, between the split and its join",
						"branch goes directly into join %q", c.Name)
				}
			}
		case flow.Foreach:
			l.foreachField(s)
		case flow.Switch:
			l.switchCases(s)
		}
	}
}

func dup(xs []string) string {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return x
		}
		seen[x] = true
	}
	return ""
}

func (l *linter) foreachField(s *flow.Step) {
	t := s.Transition
	sf, ok := l.f.Field(t.Field)
	if !ok {
		l.missingField(s.Name, "foreach-field", "foreach over", t.Field, "slice ")
		return
	}
	if k := sf.Type.Kind(); k != reflect.Slice && k != reflect.Array {
		l.add(s.Name, "foreach-field", "foreach over a slice or array field", "foreach over field %q of type %s, which is not a slice", t.Field, sf.Type)
	}
	if c := l.f.Step(t.Targets[0]); c != nil && c.IsJoin {
		l.add(s.Name, "foreach-into-join", "put at least one step between the foreach and its join", "foreach goes directly into join %q", c.Name)
	}
}

func (l *linter) switchCases(s *flow.Step) {
	t := s.Transition
	sf, ok := l.f.Field(t.Field)
	if !ok {
		l.missingField(s.Name, "switch-field", "switch on", t.Field, "")
	} else if flow.KindOf(sf.Type) == flow.JSON {
		l.add(s.Name, "switch-field", "switch on a string, integer or bool field", "switch on field %q of type %s", t.Field, sf.Type)
	}
	if len(t.Cases) < 2 {
		l.add(s.Name, "switch-cases", "give Switch at least two cases", "switch has %d case(s)", len(t.Cases))
	}
	seen := map[string]bool{}
	for _, c := range t.Cases {
		if seen[c.Value] {
			l.add(s.Name, "switch-duplicate", "give each case a distinct value", "switch has case %q twice", c.Value)
		}
		seen[c.Value] = true
		if cs := l.f.Step(c.Target); cs != nil && cs.IsJoin {
			l.add(s.Name, "switch-into-join", "put a step between the switch and the join", "case %q goes directly into join %q", c.Value, c.Target)
		}
	}
}

func (l *linter) typeName() string {
	if l.f.StateType == nil {
		return "the state"
	}
	return l.f.StateType.Name()
}

func (l *linter) buildNodes() {
	g := l.g
	for _, s := range l.f.Steps {
		g.Nodes[s.Name] = &Node{Name: s.Name, Kind: kindOf(s), Step: s, Out: slices.Clone(s.Transition.Targets)}
	}
	for _, s := range l.f.Steps {
		for _, o := range s.Transition.Targets {
			n := g.Nodes[o]
			if !slices.Contains(n.In, s.Name) {
				n.In = append(n.In, s.Name)
			}
		}
	}
	// In is in declaration order because steps are walked in that order.
	g.Start, g.End = "start", "end"
}

// cycles reports every cycle; true when there is one.
func (l *linter) cycles() bool {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	found := false
	var path []string
	var visit func(string)
	visit = func(n string) {
		color[n] = grey
		path = append(path, n)
		for _, o := range l.g.Nodes[n].Out {
			switch color[o] {
			case grey:
				i := slices.Index(path, o)
				cyc := append(slices.Clone(path[i:]), o)
				l.add(n, "cycle", "remove a transition so that no step leads back to itself",
					"transition to %q closes a cycle: %s", o, strings.Join(cyc, " -> "))
				found = true
			case white:
				visit(o)
			}
		}
		path = path[:len(path)-1]
		color[n] = black
	}
	for _, s := range l.f.Steps {
		if color[s.Name] == white {
			visit(s.Name)
		}
	}
	return found
}
