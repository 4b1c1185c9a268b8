package statemachine

import (
	"fmt"
	"strings"

	"github.com/stepflow/stepflow/internal/graph"
)

// A foreach compiles to one of two Map shapes (docs/state-machine.md,
// "Wide foreach"):
//
//   - inline: one INLINE Map over States.ArrayRange(0, width-1, 1), so at
//     most 1,000 items, every item's events in the execution's history;
//   - chunked: an outer Map over the chunk starts
//     States.ArrayRange(0, width-1, chunk), DISTRIBUTED (one child
//     execution per chunk, with its own history), each running an INLINE
//     Map over its indices: States.ArrayRange(start, start+chunk-1, 1), or
//     up to width-1 for the last chunk. Up to 1,000 chunks of up to 1,000
//     items: 1,000,000 items.
//
// A top-level foreach has both, chosen at run time by its width against
// the threshold; a nested one (it already runs inside a Map) is inline
// only; with --distributed-map every foreach is chunked only.

// History budgets, in events, for the automatic threshold and chunk size.
const (
	maxHistory = 25000 // AWS: events of one Standard execution
	// inlineBudget is the share of the parent execution's history one
	// inline foreach may take: the rest of the flow keeps 15,000.
	inlineBudget = 10000
	// chunkBudget is the share of a chunk's child execution that its
	// items take in one pass: the rest (5,000) is room for retries.
	chunkBudget = 20000
	maxRange    = 1000 // items of one States.ArrayRange
)

// Events of one state in the history when it runs once and succeeds.
const (
	eventsBatch     = 6 // TaskStateEntered, Scheduled, Started, Submitted, Succeeded, TaskStateExited
	eventsTask      = 5 // other Tasks (DynamoDB getItem): no Submitted
	eventsState     = 2 // Pass, Choice, Succeed, Fail: entered, exited
	eventsBlock     = 4 // Parallel, Map: entered, started, succeeded, exited
	eventsIteration = 2 // MapIterationStarted, MapIterationSucceeded (also per Parallel branch)
	eventsMapRun    = 2 // MapRunStarted, MapRunSucceeded of a DISTRIBUTED Map
)

// checkForeach checks the foreach settings.
func (c *compiler) checkForeach() []error {
	var errs []error
	if t := c.s.DistributedMapThreshold; t < 0 || t > maxRange {
		errs = append(errs, fmt.Errorf("distributed map threshold %d is out of range: use 1 to %d, the widest foreach run as one INLINE Map (States.ArrayRange returns at most %d items), or 0 for automatic (--distributed-map-threshold, STEPFLOW_DISTRIBUTED_MAP_THRESHOLD or \"distributed_map_threshold\" in the config file)", t, maxRange, maxRange))
	}
	if n := c.s.ArraySize; n != 0 && (n < 2 || n > maxArray) {
		errs = append(errs, fmt.Errorf("array size %d is out of range: use 2 to %d children per AWS Batch array job (AWS Batch's bounds), or 0 for %d (--array-size)", n, maxArray, maxArray))
	}
	if ch := c.s.ForeachChunk; ch < 0 || ch > maxRange {
		errs = append(errs, fmt.Errorf("foreach chunk %d is out of range: use 1 to %d items per child execution (States.ArrayRange returns at most %d items), or 0 for automatic (--foreach-chunk, STEPFLOW_FOREACH_CHUNK or \"foreach_chunk\" in the config file)", ch, maxRange, maxRange))
	}
	return errs
}

// events estimates the history events of one pass through states: every
// state once (catch handlers and every switch case included, so an upper
// bound), no retry, a nested INLINE Map at one item, a DISTRIBUTED Map's
// child executions not at all (they have their own history).
func events(states obj) int {
	n := 0
	for _, e := range states {
		st := e.v.(obj)
		switch st.get("Type") {
		case "Task":
			if r, _ := st.get("Resource").(string); strings.HasSuffix(r, ":batch:submitJob.sync") {
				n += eventsBatch
			} else {
				n += eventsTask
			}
		case "Parallel":
			n += eventsBlock
			for _, b := range st.get("Branches").([]any) {
				n += eventsIteration + events(b.(obj).get("States").(obj))
			}
		case "Map":
			n += eventsBlock
			p := st.get("ItemProcessor").(obj)
			if p.get("ProcessorConfig").(obj).get("Mode") == "DISTRIBUTED" {
				n += eventsMapRun
			} else {
				n += eventsIteration + events(p.get("States").(obj))
			}
		case "Fail":
			// Ends the execution (the access-denied stop of a step with a
			// catch, an unknown switch target): never part of an item
			// that goes on, so no part of the budget either.
			if st.get("Error") != "Stepflow.AccessDenied" {
				n += eventsState
			}
		default:
			n += eventsState
		}
	}
	return n
}

// sizes returns the threshold and the chunk size of a foreach whose items
// take perItem events (its body, once): the settings, or the automatic
// values that keep an inline Map within inlineBudget and a chunk within
// chunkBudget. Explicit values that overflow a history are warned about.
// An item takes as many events inline as in a chunk: the same iteration
// of an INLINE Map.
func (c *compiler) sizes(n *graph.Node, perItem int) (threshold, chunk int) {
	inline, chunked := eventsIteration+perItem, eventsIteration+perItem
	auto := func(budget, per int) int { return max(1, min(maxRange, budget/per)) }
	threshold, chunk = c.s.DistributedMapThreshold, c.s.ForeachChunk
	if threshold == 0 {
		threshold = auto(inlineBudget, inline)
	} else if ev := threshold * inline; ev > maxHistory && n.ForeachDepth == 0 && !c.s.DistributedMap {
		c.warns = append(c.warns, fmt.Sprintf("step %s: an INLINE foreach of %d items (the distributed map threshold) takes about %d history events, over the %d of an execution; lower the threshold",
			n.Name, threshold, ev, maxHistory))
	}
	if chunk == 0 {
		chunk = auto(chunkBudget, chunked)
	} else if ev := chunk * chunked; ev > maxHistory {
		c.warns = append(c.warns, fmt.Sprintf("step %s: a foreach chunk of %d items takes about %d history events, over the %d of its child execution; lower the foreach chunk",
			n.Name, chunk, ev, maxHistory))
	}
	return threshold, chunk
}

// inlineOnly reports whether the foreach step n compiles to one INLINE Map
// only (at most maxRange items): a nested foreach, unless --distributed-map.
func (c *compiler) inlineOnly(n *graph.Node) bool {
	return n.ForeachDepth > 0 && !c.s.DistributedMap
}

// foreach adds the foreach step's Task, the width lookup, the Choice on
// the width (no items, too wide, inline or chunked) and the Map (inline,
// chunked, or both). Per run of a top-level foreach, the helper states
// entered before the items are Width, Mode and Items (inline) or Chunks
// (chunked): docs/state-machine.md, "What a run costs".
func (c *compiler) foreach(states *obj, n *graph.Node, in, exit string) {
	width := helper(n.Name, "Width")
	c.stepOf[width] = n.Name
	c.task(states, n, in, kv{"Next", width})
	// The width as a number, converted once, in $.Foreach.Width.
	get := c.getItem(n.Name, "Width", "States.StringToJson($.Item."+AttrWidth+".N)")
	b, why := c.arrayBody(n)
	if why != "" {
		c.warns = append(c.warns, why)
	}
	if b == nil {
		c.markCachedItems(states, n) // cache.go
	}
	if b != nil {
		c.arrayForeach(states, n, b, exit, width, get)
		return
	}
	body := obj{}
	c.scope(&body, n.Out[0], n.MatchingJoin)
	perItem := events(body)
	chunked, inline := !c.inlineOnly(n), !c.s.DistributedMap
	// No items: straight to the join, with the payload cleared of the width.
	empty := helper(n.Name, "Empty")
	none := obj{{"Variable", "$.Foreach.Width"}, {"NumericEquals", 0}, {"Next", empty}}
	emptyState := kv{empty, obj{{"Type", "Pass"},
		{"Parameters", obj{{"RunId.$", "$.RunId"}, {"TaskId.$", "$.TaskId"}}}, {"Next", sn(n.MatchingJoin)}}}
	if !chunked {
		// Nested: one INLINE Map, at most 1,000 items (States.ArrayRange).
		has, items := helper(n.Name, "HasItems"), helper(n.Name, "Items")
		*states = append(*states, kv{width, append(get, kv{"Next", has})},
			kv{has, obj{{"Type", "Choice"}, {"Choices", []any{none}}, {"Default", items}}}, emptyState)
		*states = append(*states, c.inlineMap(n, exit, body)...)
		return
	}
	threshold, chunk := c.sizes(n, perItem)
	mode, tooWide, chunks := helper(n.Name, "Mode"), helper(n.Name, "TooWide"), helper(n.Name, "Chunks")
	maxWidth := maxRange * chunk
	rules := []any{none, obj{{"Variable", "$.Foreach.Width"}, {"NumericGreaterThan", maxWidth}, {"Next", tooWide}}}
	dflt := chunks
	if inline {
		rules = append(rules, obj{{"Variable", "$.Foreach.Width"}, {"NumericGreaterThan", threshold}, {"Next", chunks}})
		dflt = helper(n.Name, "Items")
	}
	*states = append(*states,
		kv{width, append(get, kv{"Next", mode})},
		kv{mode, obj{{"Type", "Choice"}, {"Choices", rules}, {"Default", dflt}}},
		emptyState,
		kv{tooWide, obj{{"Type", "Fail"}, {"Error", "Stepflow.ForeachTooWide"},
			{"Cause", fmt.Sprintf("foreach step %s has more than %d items (%d chunks of %d); lower the width or raise the foreach chunk", n.Name, maxWidth, maxRange, chunk)}}})
	if inline {
		*states = append(*states, c.inlineMap(n, exit, body)...)
		c.mapItems[helper(n.Name, "Map")] = threshold
		// The body's states are now in the definition twice: the chunked
		// copy gets other names (state names are unique in a state machine).
		body = renameStates(body, distSuffix)
	}
	*states = append(*states, c.chunkedMap(n, exit, body, chunk, inline)...)
	c.mapItems[helper(n.Name, "Each")] = chunk
}

// distSuffix marks the states of a foreach body's chunked copy: step names
// are lower case and helper names <step>.<Word>, so "<name>.Dist" is free.
const distSuffix = ".Dist"

// taskID is the ItemSelector value of a foreach item's task id: its index,
// after its parent's task id when nested.
func taskID(n *graph.Node) string {
	if n.ForeachDepth == 0 {
		return "States.Format('{}', $$.Map.Item.Value)"
	}
	return "States.Format('{}-{}', $.Payload.TaskId, $$.Map.Item.Value)"
}

// inlineMap returns the Pass that lists the indices and the INLINE Map over
// them.
func (c *compiler) inlineMap(n *graph.Node, exit string, body obj) []kv {
	items, mapName := helper(n.Name, "Items"), helper(n.Name, "Map")
	return []kv{
		{items, obj{{"Type", "Pass"}, {"Parameters", obj{
			{"Payload", obj{{"RunId.$", "$.RunId"}, {"TaskId.$", "$.TaskId"}}},
			{"Items.$", "States.ArrayRange(0, States.MathAdd($.Foreach.Width, -1), 1)"},
		}}, {"Next", mapName}}},
		{mapName, obj{{"Type", "Map"}, {"ItemsPath", "$.Items"},
			{"ItemSelector", obj{{"RunId.$", "$.Payload.RunId"}, {"TaskId.$", taskID(n)}}},
			{"MaxConcurrency", c.s.MaxWorkers},
			{"ItemProcessor", obj{{"ProcessorConfig", obj{{"Mode", "INLINE"}}}, {"StartAt", sn(n.Out[0])}, {"States", body}}},
			{"ResultPath", nil}, {"OutputPath", "$.Payload"}, next(n.MatchingJoin, exit)}},
	}
}

// maxInline is the most iterations an INLINE Map runs at once.
const maxInline = 40

// chunkedMap returns the Pass that lists the chunk starts and the
// DISTRIBUTED Map over them. Each child execution chooses its indices
// (Tail: a full chunk, Chunk, or the last one, Rest, which ends at
// width-1) and runs them in an INLINE Map: three helper states per chunk,
// none per item. The Map's result (the children's outputs) is dropped: the
// output is the payload {RunId, TaskId}.
func (c *compiler) chunkedMap(n *graph.Node, exit string, body obj, chunk int, renamed bool) []kv {
	chunks, outer := helper(n.Name, "Chunks"), helper(n.Name, "Chunked")
	tail, full, rest, each := helper(n.Name, "Tail"), helper(n.Name, "Chunk"), helper(n.Name, "Rest"), helper(n.Name, "Each")
	start := sn(n.Out[0])
	if renamed {
		start = renameState(start, distSuffix)
	}
	// --max-workers bounds the items running at once: inner × outer.
	outerConc := (c.s.MaxWorkers + maxInline - 1) / maxInline
	innerConc := c.s.MaxWorkers / outerConc
	list := func(end string) obj {
		return obj{{"Type", "Pass"}, {"Parameters", obj{
			{"Payload", obj{{"RunId.$", "$.RunId"}, {"TaskId.$", "$.TaskId"}}},
			{"Items.$", fmt.Sprintf("States.ArrayRange($.Start, %s, 1)", end)},
		}}, {"Next", each}}
	}
	child := obj{
		// The last chunk starts after width - chunk.
		{tail, obj{{"Type", "Choice"},
			{"Choices", []any{obj{{"Variable", "$.Start"}, {"NumericGreaterThanPath", "$.Last"}, {"Next", rest}}}},
			{"Default", full}}},
		{full, list(fmt.Sprintf("States.MathAdd($.Start, %d)", chunk-1))},
		{rest, list("States.MathAdd($.Width, -1)")},
		{each, obj{{"Type", "Map"}, {"ItemsPath", "$.Items"},
			{"ItemSelector", obj{{"RunId.$", "$.Payload.RunId"}, {"TaskId.$", taskID(n)}}},
			{"MaxConcurrency", innerConc},
			{"ItemProcessor", obj{{"ProcessorConfig", obj{{"Mode", "INLINE"}}}, {"StartAt", start}, {"States", body}}},
			{"ResultPath", nil}, {"OutputPath", "$.Payload"}, {"End", true}}},
	}
	return []kv{
		{chunks, obj{{"Type", "Pass"}, {"Parameters", obj{
			{"Payload", obj{{"RunId.$", "$.RunId"}, {"TaskId.$", "$.TaskId"}}},
			{"Width.$", "$.Foreach.Width"},
			{"Last.$", fmt.Sprintf("States.MathAdd($.Foreach.Width, %d)", -chunk)},
			{"Chunks.$", fmt.Sprintf("States.ArrayRange(0, States.MathAdd($.Foreach.Width, -1), %d)", chunk)},
		}}, {"Next", outer}}},
		{outer, obj{{"Type", "Map"}, {"ItemsPath", "$.Chunks"},
			// The run id is threaded: a child execution has another name.
			{"ItemSelector", obj{{"RunId.$", "$.Payload.RunId"}, {"TaskId.$", "$.Payload.TaskId"}, {"Width.$", "$.Width"},
				{"Last.$", "$.Last"}, {"Start.$", "$$.Map.Item.Value"}}},
			{"MaxConcurrency", outerConc},
			{"ItemProcessor", obj{{"ProcessorConfig", obj{{"Mode", "DISTRIBUTED"}, {"ExecutionType", "STANDARD"}}},
				{"StartAt", tail}, {"States", child}}},
			// No ToleratedFailurePercentage: its default, 0, is what a
			// foreach wants (LocalStack's ASL grammar, which moto uses,
			// even refuses an explicit 0).
			{"Label", sanitize(shorten(n.Name, 40))},
			{"ResultPath", nil}, {"OutputPath", "$.Payload"}, next(n.MatchingJoin, exit)}},
	}
}

// renameState is the name of a state in a renamed copy.
func renameState(name, suffix string) string { return sn(name + suffix) }

// renameStates returns a copy of states in which every state name, and
// every transition to one (StartAt, Next, Default, Choices, Catch, in
// Parallel branches and Map processors too), has suffix appended. The
// states' other fields are shared with the original.
func renameStates(states obj, suffix string) obj {
	out := make(obj, 0, len(states))
	for _, e := range states {
		st := e.v.(obj)
		cp := make(obj, 0, len(st))
		for _, f := range st {
			switch f.k {
			case "Next", "Default":
				f.v = renameState(f.v.(string), suffix)
			case "Choices", "Catch":
				var rules []any
				for _, r := range f.v.([]any) {
					rules = append(rules, renameNext(r.(obj), suffix))
				}
				f.v = rules
			case "Branches":
				var bs []any
				for _, b := range f.v.([]any) {
					bs = append(bs, renameScope(b.(obj), suffix))
				}
				f.v = bs
			case "ItemProcessor":
				f.v = renameScope(f.v.(obj), suffix)
			}
			cp = append(cp, f)
		}
		out = append(out, kv{renameState(e.k, suffix), cp})
	}
	return out
}

func renameNext(rule obj, suffix string) obj {
	cp := make(obj, 0, len(rule))
	for _, f := range rule {
		if f.k == "Next" {
			f.v = renameState(f.v.(string), suffix)
		}
		cp = append(cp, f)
	}
	return cp
}

// renameScope renames a Parallel branch or a Map processor.
func renameScope(scope obj, suffix string) obj {
	cp := make(obj, 0, len(scope))
	for _, f := range scope {
		switch f.k {
		case "StartAt":
			f.v = renameState(f.v.(string), suffix)
		case "States":
			f.v = renameStates(f.v.(obj), suffix)
		}
		cp = append(cp, f)
	}
	return cp
}
