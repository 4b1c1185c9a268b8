package statemachine

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/stepflow/stepflow/internal/graph"
)

// AWS limits checked at compile time.
const (
	MaxName       = 80        // state and state machine names
	MaxDefinition = 1 << 20   // state machine definition, bytes (compact JSON)
	MaxOverrides  = 8192      // SubmitJob containerOverrides, characters
	MaxSubmit     = 30 << 10  // SubmitJob request, bytes
	MaxItem       = 400 << 10 // DynamoDB item, bytes
	MaxTags       = 50        // tags of a Batch job
	MaxTagKey     = 128       // characters of a tag key
	MaxTagValue   = 256       // characters of a tag value
	maxIndex      = 10        // digits of one foreach index (below 2^31)
	maxError      = 256       // an error name in a caught error
	maxStepName   = graph.MaxNameLen
)

// maxRunID is the longest run id: RunPrefix and an execution name (at
// most 80 characters).
const maxRunID = len(RunPrefix) + 80

// maxTrigger is the longest Trigger block Stepflow starts a run with, as
// the JSON string of the start task's STEPFLOW_TRIGGER: its type, an event
// name (EventBridge allows 128 characters) or an upstream run's pathspec
// (flow name, run id), a status and an event id, quoted and escaped.
const maxTrigger = 512

// MaxParamsChars is the room for the parameters in the start task's
// container overrides (STEPFLOW_PARAMS, as its JSON string value): what
// step-functions trigger admits. The start task's other variables (the
// frozen configs, stepflow.Env) must fit in the rest, checked at compile
// time.
const MaxParamsChars = MaxOverrides - 2048

// worstTaskID is the longest task id at a foreach depth.
func worstTaskID(depth int) string {
	if depth == 0 {
		return "0"
	}
	parts := make([]string, depth)
	for i := range parts {
		parts[i] = strings.Repeat("9", maxIndex)
	}
	return strings.Join(parts, "-")
}

// worst replaces every dynamic value ("Key.$": path) of a payload template
// with the longest value it can take at run time, giving the JSON that
// Step Functions would send in the worst case.
func (c *compiler) worst(v any, depth int) any {
	switch x := v.(type) {
	case obj:
		out := make(obj, 0, len(x))
		for _, e := range x {
			if k, ok := strings.CutSuffix(e.k, ".$"); ok {
				out = append(out, kv{k, c.worstValue(e.v.(string), depth)})
				continue
			}
			out = append(out, kv{e.k, c.worst(e.v, depth)})
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = c.worst(e, depth)
		}
		return out
	}
	return v
}

func (c *compiler) worstValue(path string, depth int) string {
	switch {
	case strings.HasSuffix(path, ".RunId"):
		return RunPrefix + strings.Repeat("x", maxRunID-len(RunPrefix))
	case strings.HasSuffix(path, ".TaskId"):
		return worstTaskID(depth)
	case strings.Contains(path, "RetryCount"):
		return "99"
	case strings.HasSuffix(path, ".Error"):
		return strings.Repeat("x", maxError)
	case path == triggerValue:
		return strings.Repeat("x", maxTrigger)
	case path == paramsValue:
		// The defaults; values given at run time come on top (the trigger
		// checks their size).
		var d []string
		for _, p := range c.f.Params {
			if s, err := p.Format(p.Default); err == nil && !p.Required && p.Default != nil {
				d = append(d, fmt.Sprintf("%q:%q", p.Name, s))
			}
		}
		return "{" + strings.Join(d, ",") + "}"
	}
	return strings.Repeat("x", 256)
}

// limits checks a step's SubmitJob parameters against the AWS limits.
func (c *compiler) limits(n *graph.Node, params obj, userTags map[string]string, caught bool) {
	if caught {
		return // the handler's request differs from the step's only by one bounded variable
	}
	w := c.worst(params, n.ForeachDepth).(obj)
	ov, _ := marshal(w.get("ContainerOverrides"))
	if len(ov) > MaxOverrides {
		c.fail(n.Name, "container overrides", "shorten or remove environment variables of the step (stepflow.Env)",
			"the container overrides take up to %d characters, over the AWS Batch limit of %d", len(ov), MaxOverrides)
	}
	all, _ := marshal(w)
	if len(all) > MaxSubmit {
		c.fail(n.Name, "SubmitJob payload", "use fewer or shorter tags, environment variables or a shorter code package URL",
			"the SubmitJob request takes up to %d bytes, over the AWS Batch limit of %d", len(all), MaxSubmit)
	}
	if len(userTags)+3 > MaxTags {
		c.fail(n.Name, "Batch tags", fmt.Sprintf("use at most %d tags (Stepflow adds 3)", MaxTags-3), "%d tags are too many", len(userTags))
	}
	for _, k := range sortedKeys(userTags) {
		switch {
		case k == "" || len(k) > MaxTagKey:
			c.fail(n.Name, "Batch tags", "use keys of 1 to 128 characters", "tag key %q has %d characters", k, len(k))
		case strings.HasPrefix(strings.ToLower(k), "aws:") || strings.HasPrefix(k, "stepflow:"):
			c.fail(n.Name, "Batch tags", "rename the tag; aws: and stepflow: keys are reserved", "tag key %q uses a reserved prefix", k)
		case !isTagText(k):
			c.fail(n.Name, "Batch tags", tagCharset, "tag key %q has a character AWS Batch refuses", k)
		}
		if v := userTags[k]; len(v) > MaxTagValue {
			c.fail(n.Name, "Batch tags", "use values of at most 256 characters", "tag %s has a value of %d characters", k, len(v))
		} else if !isTagText(v) {
			c.fail(n.Name, "Batch tags", tagCharset, "tag %s has a value (%q) with a character AWS Batch refuses", k, v)
		}
	}
	if sz := itemSize(n.ForeachDepth); sz > MaxItem {
		c.fail(n.Name, "DynamoDB item", "reduce the foreach nesting", "the bookkeeping item takes up to %d bytes, over the limit of %d", sz, MaxItem)
	}
	if n.Name == c.g.Start && len(ov) <= MaxOverrides {
		// The parameters given at trigger time take up to MaxParamsChars:
		// the rest (frozen configs, the step's Env) must leave that room.
		defaults, _ := marshal(c.worstValue(paramsValue, 0))
		if fixed := len(ov) - len(defaults); fixed+MaxParamsChars > MaxOverrides {
			c.fail(n.Name, "container overrides", "shorten the start step's environment (stepflow.Env) or use fewer configs",
				"the start task's container overrides take %d characters without the parameters (configs and environment included), leaving %d of AWS Batch's %d for the parameters, fewer than the %d that step-functions trigger admits",
				fixed, MaxOverrides-fixed, MaxOverrides, MaxParamsChars)
		}
	}
}

// itemSize is the largest bookkeeping item of a task at a foreach depth,
// counted as DynamoDB does (attribute names plus values; numbers at most 21
// bytes). It does not depend on the foreach width: by design, no item grows
// with it.
func itemSize(depth int) int {
	pathspec := maxRunID + 1 + maxStepName + 1 + len(worstTaskID(depth))
	return len(AttrPathspec) + pathspec + len(AttrWidth) + 21 + len(AttrTarget) + maxStepName + len(AttrTTL) + 21
}

// tagCharset says which characters AWS Batch takes in tag keys and values.
const tagCharset = "use letters, digits, spaces and + - = . _ : / @ only"

// isTagText reports whether s has only the characters AWS Batch takes in
// a tag key or value: letters, digits and spaces representable in UTF-8,
// and + - = . _ : / @ (the pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$).
func isTagText(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Z, r) && !strings.ContainsRune("_.:/=+-@", r) {
			return false
		}
	}
	return true
}
