package statemachine

import (
	"fmt"
	"sort"
	"strings"
)

// worstHistory estimates the events of one execution's history in the
// worst case: every state once (catch handlers and every switch case
// included), no retry, every INLINE Map at its widest (caps: the most
// items of the Maps the compiler bounds, a top-level foreach's inline Map
// at the threshold and a chunk's at the chunk size; any other, a nested
// foreach, at States.ArrayRange's 1,000). A DISTRIBUTED Map's child
// executions have their own histories: each is estimated the same way and
// passed to child with the Map's name.
func worstHistory(states obj, caps map[string]int, nested int, child func(mapName string, events int)) int {
	n := 0
	for _, e := range states {
		st := e.v.(obj)
		switch st.get("Type") {
		case "Parallel":
			n += eventsBlock
			for _, b := range st.get("Branches").([]any) {
				n += eventsIteration + worstHistory(b.(obj).get("States").(obj), caps, nested, child)
			}
		case "Map":
			n += eventsBlock
			p := st.get("ItemProcessor").(obj)
			body := worstHistory(p.get("States").(obj), caps, nested, child)
			if p.get("ProcessorConfig").(obj).get("Mode") == "DISTRIBUTED" {
				n += eventsMapRun
				child(e.k, eventsExecution+body)
				continue
			}
			items, ok := caps[e.k]
			if !ok {
				items = nested
			}
			n += items * (eventsIteration + body)
		default:
			n += events(obj{e})
		}
	}
	return n
}

// eventsExecution: ExecutionStarted and ExecutionSucceeded.
const eventsExecution = 2

// checkHistory warns when an execution's worst-case history (worstHistory)
// passes the 25,000 events AWS allows: a run that wide would fail with
// States.Runtime, so say so at deploy time with the numbers, the widest
// nested foreach that fits, and the fix.
func (c *compiler) checkHistory(states obj) {
	// over lists the executions over the limit with nested foreaches of
	// up to nested items.
	over := func(nested int) []string {
		var out []string
		top := eventsExecution + worstHistory(states, c.mapItems, nested, func(name string, ev int) {
			if ev > maxHistory {
				out = append(out, fmt.Sprintf("about %[2]d events in a child execution of %[1]s (one chunk)", strings.TrimSuffix(name, ".Chunked"), ev))
			}
		})
		if top > maxHistory {
			out = append([]string{fmt.Sprintf("about %d events in the execution", top)}, out...)
		}
		return out
	}
	o := over(maxRange)
	if len(o) == 0 {
		return
	}
	fix := "keep nested foreaches narrow"
	// The widest nested foreach that fits, when the flow has one and
	// that width is not too narrow to be useful advice.
	if fits := sort.Search(maxRange, func(k int) bool { return len(over(k+1)) > 0 }); fits > 1 && len(over(1)) == 0 {
		fix = fmt.Sprintf("keep nested foreaches to at most %d items", fits)
	}
	c.warns = append(c.warns, fmt.Sprintf("flow %s: with every foreach at its widest (a top-level one inline up to its distributed map threshold, chunks full, a nested one up to %d items) and no retry, the history takes %s, over the %d AWS allows per execution: a run that wide fails (States.Runtime); %s, lower --distributed-map-threshold or --foreach-chunk, or deploy with --distributed-map (every foreach chunked, each chunk its own execution)",
		c.f.Name, maxRange, strings.Join(o, " and "), maxHistory, fix))
}
