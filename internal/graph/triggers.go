package graph

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
)

// eventPath reports whether path is in the dot notation EventBridge's
// input transformer reads: keys of letters, digits, '_', '-' and '/',
// each optionally followed by one array index, joined by dots. It matches
// ^[A-Za-z0-9_/-]+(\[[0-9]+\])?(\.[A-Za-z0-9_/-]+(\[[0-9]+\])?)*$ by
// hand: a regexp compiled at package initialisation (this pattern's
// bounded repetitions make a large program) costs every flow binary's
// start-up, and every task is a flow binary's start.
func eventPath(path string) bool {
	for key := range strings.SplitSeq(path, ".") {
		name, index, indexed := strings.Cut(key, "[")
		if !eventPathKey.MatchString(name) {
			return false
		}
		if indexed {
			digits, ok := strings.CutSuffix(index, "]")
			if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
				return false
			}
		}
	}
	return true
}

// eventPathKey is one key of an event path.
var eventPathKey = namePattern{first: "A-Za-z0-9_/-", rest: "A-Za-z0-9_/-"}

// eventName is a user event's name (its detail-type), 1 to 128 bytes:
// ^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$.
var eventName = namePattern{first: "A-Za-z0-9", rest: "A-Za-z0-9._:/-"}

// ValidEventName reports whether name can name a user event (its
// detail-type): what OnEvent declares and send-event publishes.
func ValidEventName(name string) bool {
	return len(name) <= 128 && eventName.MatchString(name) && !strings.HasPrefix(name, "aws.")
}

// envelopeStrings are the string fields of an EventBridge event's
// envelope; "detail" holds the user's fields.
var envelopeStrings = []string{"id", "source", "detail-type", "account", "region", "time", "version"}

// triggers checks the flow's triggers: names, mappings (known parameters,
// paths an event can have, types that survive the input transformer),
// required parameters left unmapped, and a flow that would start itself.
func (l *linter) triggers() {
	f := l.f
	params := map[string]*flow.Param{}
	for _, p := range f.Params {
		params[p.Name] = p
	}
	seen := map[string]bool{}
	for _, t := range f.Triggers {
		var what string
		switch t.Kind {
		case flow.OnEvent:
			what = fmt.Sprintf("trigger on event %q", t.Event)
			if !ValidEventName(t.Event) {
				l.add("", "trigger-event", "name the event with letters, digits and . _ - : /, at most 128 characters, not starting with aws. (e.g. \"data.ready\")",
					"%s: the event name is not valid", what)
			}
		case flow.OnFinish:
			what = fmt.Sprintf("trigger on the finish of %q", t.Flow)
			if !flowName.MatchString(t.Flow) {
				l.add("", "trigger-flow", "give the upstream flow's name, as declared with stepflow.New", "%s: not a flow name", what)
			}
			if t.Flow == f.Name && t.UpstreamProject(f) == f.Project && t.Branch == "" {
				l.add("", "trigger-loop", "trigger on another flow, or on another --branch of this one (stepflow.InBranch)",
					"%s: the flow would start itself each time it finishes, forever", what)
			}
		}
		key := fmt.Sprint(t.Kind, t.Event, t.Flow, t.Project, t.NoProject, t.Branch)
		if seen[key] {
			l.add("", "trigger-duplicate", "remove one of them", "%s is declared twice", what)
		}
		seen[key] = true
		mapped := map[string]bool{}
		for _, m := range t.Mappings {
			p := params[m.Param]
			switch {
			case p == nil:
				l.add("", "trigger-unknown-parameter", "map to one of the flow's parameters (declared with Param)", "%s maps %q, which is not a parameter", what, m.Param)
				continue
			case mapped[m.Param]:
				l.add("", "trigger-duplicate-mapping", "map each parameter once", "%s maps parameter %s twice", what, m.Param)
			}
			mapped[m.Param] = true
			l.mapping(what, t, m, p)
		}
		for _, p := range f.Params {
			if p.Required && !mapped[p.Name] {
				l.add("", "trigger-required", fmt.Sprintf("map it with stepflow.Map(%q, ...) or give the parameter a default", p.Name),
					"%s does not map the required parameter %s: every run it starts would fail", what, p.Name)
			}
		}
	}
}

// mapping checks one mapping's path and type. The input transformer
// writes every value into a JSON string (the state machine's parameters
// are strings, parsed as the run command's flags): a parameter of a JSON
// type (slice, map, struct) cannot be mapped, as EventBridge strips the
// quotes of an object or array put into a string.
func (l *linter) mapping(what string, t *flow.Trigger, m flow.Mapping, p *flow.Param) {
	var fieldType string
	switch t.Kind {
	case flow.OnFinish:
		if !slices.Contains(flow.FinishFields, m.Path) {
			l.add("", "trigger-path", "map one of "+strings.Join(flow.FinishFields, ", "),
				"%s maps parameter %s to %q, which a finish event does not have", what, m.Param, m.Path)
			return
		}
		fieldType = "a string"
	default:
		top, _, _ := strings.Cut(m.Path, ".")
		switch {
		case !eventPath(m.Path):
			l.add("", "trigger-path", "write a dot-notation path into the event, e.g. \"detail.date\"",
				"%s maps parameter %s to %q, which is not a path EventBridge reads", what, m.Param, m.Path)
			return
		case slices.Contains(envelopeStrings, top) && top == m.Path:
			fieldType = "a string"
		case top != "detail":
			l.add("", "trigger-path", "start the path with detail. (the event's own fields) or name one of "+strings.Join(envelopeStrings, ", "),
				"%s maps parameter %s to %q, which an EventBridge event does not have", what, m.Param, m.Path)
			return
		}
	}
	switch {
	case p.Kind == flow.File:
		l.add("", "trigger-type", "map it to a string parameter (a file parameter's file is uploaded by step-functions create or trigger)",
			"%s maps file parameter %s: an event carries no local file", what, m.Param)
	case p.Kind == flow.JSON:
		l.add("", "trigger-type", "map it to a string, number or boolean parameter, or to a string parameter holding JSON that the start step decodes",
			"%s maps parameter %s of type %s: EventBridge passes event values as strings and strips the quotes of objects and arrays", what, m.Param, p.Type)
	case fieldType != "" && p.Kind != flow.String:
		l.add("", "trigger-type", "map it to a string parameter",
			"%s maps parameter %s (%s) to %s, which is %s", what, m.Param, p.Kind, m.Path, fieldType)
	}
}

// TriggerString describes a trigger in one line, as show prints it:
// "on event data.ready: date <- detail.date".
func TriggerString(t *flow.Trigger) string {
	var b strings.Builder
	switch t.Kind {
	case flow.OnEvent:
		fmt.Fprintf(&b, "on event %s", t.Event)
	case flow.OnFinish:
		what := "finishes"
		if t.OnlySuccess {
			what = "succeeds"
		}
		fmt.Fprintf(&b, "when %s %s", t.Flow, what)
		if t.Project != "" {
			fmt.Fprintf(&b, " (project %s)", t.Project)
		} else if t.NoProject {
			b.WriteString(" (no project)")
		}
		if t.Branch != "" {
			fmt.Fprintf(&b, " (branch %s)", t.Branch)
		}
	}
	for i, m := range t.Mappings {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%s <- %s", sep, m.Param, m.Path)
	}
	return b.String()
}
