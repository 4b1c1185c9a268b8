// Package trigger turns a flow's triggers into EventBridge rules: the
// event pattern and the input transformer that starts the state machine
// with {"Parameters": {...}}. It also applies an input transformer to an
// event the way EventBridge does, so that `run --event FILE` and the
// end-to-end tests start a flow with exactly the input AWS would give it.
// It is pure: no AWS call. docs/triggers.md describes the events.
package trigger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
)

// Source is the source of the user events Stepflow publishes
// (step-functions send-event NAME): their detail-type is NAME.
const Source = "stepflow"

// The source and detail-type of the events Step Functions itself sends on
// EventBridge when an execution changes status: a finish trigger matches
// them (see docs/triggers.md for why Stepflow does not publish its own).
const (
	FinishSource     = "aws.states"
	FinishDetailType = "Step Functions Execution Status Change"
)

// FinishStatuses are the terminal statuses of an execution.
var FinishStatuses = []string{"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

// Rule is what one trigger deploys: an EventBridge rule and the input
// transformer of its one target, the state machine.
type Rule struct {
	Pattern       string            // the event pattern, JSON
	InputPathsMap map[string]string // variable -> JSONPath into the event
	InputTemplate string            // the StartExecution input, with <variable> placeholders
	Summary       string            // one line for people: what starts the flow
}

// Upstream resolves a finish trigger to the ARN of the upstream flow's
// state machine.
type Upstream func(t *flow.Trigger) string

// Build returns the rule of trigger t of flow f. upstream gives the state
// machine ARN a finish trigger listens to.
func Build(f *flow.Flow, t *flow.Trigger, upstream Upstream) (Rule, error) {
	var r Rule
	var pattern any
	paths := map[string]string{"event_id": "$.id"}
	var params [][2]string // name, template fragment (inside quotes)
	var info [][2]string
	switch t.Kind {
	case flow.OnEvent:
		pattern = map[string]any{"source": []string{Source}, "detail-type": []string{t.Event}}
		for i, m := range t.Mappings {
			v := fmt.Sprintf("p%d", i)
			paths[v] = "$." + m.Path
			params = append(params, [2]string{m.Param, "<" + v + ">"})
		}
		info = [][2]string{{"type", ByEvent}, {"event", lit(t.Event)}, {"id", "<event_id>"}}
		r.Summary = fmt.Sprintf("on event %s", t.Event)
	case flow.OnFinish:
		arn := upstream(t)
		status := FinishStatuses
		if t.OnlySuccess {
			status = FinishStatuses[:1]
		}
		pattern = map[string]any{"source": []string{FinishSource}, "detail-type": []string{FinishDetailType},
			"detail": map[string]any{"stateMachineArn": []string{arn}, "status": status}}
		paths["name"], paths["status"] = "$.detail.name", "$.detail.status"
		run := "sfn-<name>"
		for _, m := range t.Mappings {
			frag, ok := map[string]string{"run_id": run, "pathspec": lit(t.Flow) + "/" + run, "flow": lit(t.Flow), "status": "<status>"}[m.Path]
			if !ok {
				return r, fmt.Errorf("trigger on %s: %q is not a field of a finish event (%s)", t.Flow, m.Path, strings.Join(flow.FinishFields, ", "))
			}
			params = append(params, [2]string{m.Param, frag})
		}
		info = [][2]string{{"type", ByRun}, {"upstream", lit(t.Flow) + "/" + run}, {"status", "<status>"}, {"id", "<event_id>"}}
		what := "finishes"
		if t.OnlySuccess {
			what = "succeeds"
		}
		r.Summary = fmt.Sprintf("when %s %s (%s)", t.Flow, what, arn)
	default:
		return r, fmt.Errorf("trigger kind %d is not known", t.Kind)
	}
	p, err := json.Marshal(pattern) // map keys sorted: deterministic
	if err != nil {
		return r, err
	}
	r.Pattern = string(p)
	r.InputPathsMap = paths
	var b strings.Builder
	b.WriteString(`{"Parameters":{`)
	for i, kv := range params {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `%s:"%s"`, quote(kv[0]), kv[1])
	}
	b.WriteString(`},"Trigger":{`)
	for i, kv := range info {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `%s:"%s"`, quote(kv[0]), kv[1])
	}
	b.WriteString("}}")
	r.InputTemplate = b.String()
	return r, nil
}

// quote is s as a JSON string; json.Marshal escapes < and >, so a name can
// never form a placeholder.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// lit is s as the inside of a JSON string.
func lit(s string) string { q := quote(s); return q[1 : len(q)-1] }

// Input is the StartExecution input a rule produces: the parameters (name
// -> value as the run command's flag would take it) and what started the
// run.
type Input struct {
	Parameters map[string]string `json:"Parameters"`
	Trigger    map[string]string `json:"Trigger"`
}

// Start applies the rule's input transformer to event (Transform) and
// decodes the result.
func (r Rule) Start(event []byte) (Input, error) {
	out, err := Transform(r.InputPathsMap, r.InputTemplate, event)
	if err != nil {
		return Input{}, err
	}
	var in Input
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&in); err != nil {
		return Input{}, fmt.Errorf("the input transformer produced %s, which is not {\"Parameters\": {name: string}}: %v", out, err)
	}
	return in, nil
}

// Transform applies an input transformer to event as EventBridge does
// (docs: "Amazon EventBridge input transformation"): each variable takes
// the value at its JSONPath (dot notation; a path the event does not have
// creates no variable and its placeholder is left empty); a placeholder
// is replaced by a string value's characters, unescaped, and by any
// other value's JSON, from which the quotes are removed when the
// placeholder stands inside a JSON string. The result of a JSON template
// must be valid JSON, or the target is not invoked.
func Transform(paths map[string]string, template string, event []byte) ([]byte, error) {
	var ev any
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, fmt.Errorf("the event is not JSON: %v", err)
	}
	vars := map[string]any{}
	names := make([]string, 0, len(paths))
	for k := range paths {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if v, ok := lookup(ev, paths[k]); ok {
			vars[k] = v
		}
	}
	var out strings.Builder
	inString := false
	for i := 0; i < len(template); i++ {
		c := template[i]
		switch {
		case inString && c == '\\' && i+1 < len(template):
			out.WriteByte(c)
			i++
			out.WriteByte(template[i])
			continue
		case c == '"':
			inString = !inString
		case c == '<':
			if end := strings.IndexByte(template[i:], '>'); end > 0 {
				name := template[i+1 : i+end]
				if _, declared := paths[name]; declared {
					v, present := vars[name]
					out.WriteString(render(v, present, inString))
					i += end
					continue
				}
			}
		}
		out.WriteByte(c)
	}
	res := []byte(out.String())
	if strings.HasPrefix(strings.TrimSpace(template), "{") && !json.Valid(res) {
		return nil, fmt.Errorf("the input transformer produces invalid JSON for this event (EventBridge does not escape event values: a quote or backslash in a mapped field breaks it): %s", res)
	}
	return res, nil
}

// render is a variable's replacement text.
func render(v any, present, inString bool) string {
	if !present {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	if inString {
		return strings.ReplaceAll(string(b), `"`, "")
	}
	return string(b)
}

// lookup evaluates a dot-notation JSONPath ($.a.b, $.a[0]) on v.
func lookup(v any, path string) (any, bool) {
	if path == "$" {
		return v, true
	}
	rest, ok := strings.CutPrefix(path, "$.")
	if !ok {
		return nil, false
	}
	for _, part := range strings.Split(rest, ".") {
		key, idx := part, -1
		if open := strings.IndexByte(part, '['); open >= 0 && strings.HasSuffix(part, "]") {
			key = part[:open]
			if _, err := fmt.Sscanf(part[open+1:len(part)-1], "%d", &idx); err != nil {
				return nil, false
			}
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[key]; !ok {
			return nil, false
		}
		if idx >= 0 {
			arr, ok := v.([]any)
			if !ok || idx >= len(arr) {
				return nil, false
			}
			v = arr[idx]
		}
	}
	return v, true
}
