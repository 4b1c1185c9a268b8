package statemachine

import (
	"fmt"

	"github.com/stepflow/stepflow/internal/graph"
)

// A top-level foreach whose body is one step runs its items as AWS Batch
// array jobs (docs/state-machine.md, "Array jobs"): one SubmitJob with
// ArrayProperties.Size = the width, whose children (AWS_BATCH_JOB_ARRAY_INDEX
// 0 to width-1) are the body's tasks. A Step Functions Map would enter one
// Task state per item, so this saves a transition and a SubmitJob call per
// item. AWS Batch's bounds shape the states:
//
//	<step>.Width  (getItem, as every foreach)
//	<step>.Mode   (Choice on the width)
//	   0                      -> <step>.Empty --> join
//	   1                      -> <body>.One   (one plain job, task 0) --> join
//	   2 to maxArray          -> <body>       (one array job) --> join
//	   over maxArray          -> the chunked Map of "Wide foreach" (body copy <body>.Dist)
//	   over 1,000 x chunk     -> <step>.TooWide
//
// The step's retry count becomes the job's retry strategy (Batch retries
// each child on its own, at once); its timeout is each child's attempt
// duration. What Batch cannot express keeps the Map (arrayBody says why).

// maxArray is the most children of one AWS Batch array job.
const maxArray = 10000

// arrayBody returns the body step of the foreach n when it runs as array
// jobs, else nil and, when only the body's options prevent it, why (for
// the warning create prints).
func (c *compiler) arrayBody(n *graph.Node) (*graph.Node, string) {
	if c.s.NoArrayJobs || c.s.DistributedMap {
		return nil, ""
	}
	return c.g.ArrayJobBody(n)
}

// arrayForeach adds the states of a foreach whose body b runs as array
// jobs, after its Task: the width lookup get (named width), the Choice,
// the empty, single, array and chunked paths.
func (c *compiler) arrayForeach(states *obj, n, b *graph.Node, exit, width string, get obj) {
	join := next(n.MatchingJoin, exit)
	// The chunked path's body, as "Wide foreach" compiles it.
	body := obj{}
	c.scope(&body, b.Name, n.MatchingJoin)
	_, chunk := c.sizes(n, events(body))
	maxWidth := maxRange * chunk
	mode, tooWide, chunks, empty := helper(n.Name, "Mode"), helper(n.Name, "TooWide"), helper(n.Name, "Chunks"), helper(n.Name, "Empty")
	one, array := helper(b.Name, "One"), sn(b.Name)
	c.stepOf[one] = b.Name
	rules := []any{
		obj{{"Variable", "$.Foreach.Width"}, {"NumericEquals", 0}, {"Next", empty}},
		obj{{"Variable", "$.Foreach.Width"}, {"NumericGreaterThan", maxWidth}, {"Next", tooWide}},
		obj{{"Variable", "$.Foreach.Width"}, {"NumericGreaterThan", maxArray}, {"Next", chunks}},
		obj{{"Variable", "$.Foreach.Width"}, {"NumericEquals", 1}, {"Next", one}},
	}
	*states = append(*states,
		kv{width, append(get, kv{"Next", mode})},
		kv{mode, obj{{"Type", "Choice"}, {"Choices", rules}, {"Default", array}}},
		kv{empty, obj{{"Type", "Pass"}, {"Parameters", obj{{"RunId.$", "$.RunId"}, {"TaskId.$", "$.TaskId"}}}, {"Next", sn(n.MatchingJoin)}}},
		kv{tooWide, obj{{"Type", "Fail"}, {"Error", "Stepflow.ForeachTooWide"},
			{"Cause", fmt.Sprintf("foreach step %s has more than %d items (%d chunks of %d); lower the width or raise the foreach chunk", n.Name, maxWidth, maxRange, chunk)}}})
	// One item: a plain job. Its task id is the item's index, 0, which is
	// the foreach task's own id at the top level ($.TaskId).
	single := obj{}
	c.task(&single, b, "$", join)
	*states = append(*states, kv{one, single[0].v})
	*states = append(*states, kv{array, c.arrayTask(b, join)})
	*states = append(*states, c.chunkedMap(n, exit, renameStates(body, distSuffix), chunk, true)...)
	c.mapItems[helper(n.Name, "Each")] = chunk
}

// arrayTask is the Task state that submits the array job of body step b:
// the step's Task with no task id in the overrides (each child computes
// its own: STEPFLOW_ARRAY_OFFSET plus AWS_BATCH_JOB_ARRAY_INDEX),
// ArrayProperties.Size the width, the step's retry count as the job's
// retry strategy, and the state retrying the integration's transient
// errors only.
func (c *compiler) arrayTask(b *graph.Node, nxt kv) obj {
	t := c.submit(b, "$", "States.Format('{}', $$.State.RetryCount)", "")
	params := t.get("Parameters").(obj)
	var out obj
	for _, p := range params {
		switch p.k {
		case "ContainerOverrides":
			var env []any
			for _, e := range p.v.(obj).get("Environment").([]any) {
				if e.(obj).get("Name") == EnvTaskID {
					e = obj{{"Name", EnvArrayOffset}, {"Value", "0"}}
				}
				env = append(env, e)
			}
			p.v = obj{{"Environment", env}}
			out = append(out, p, kv{"ArrayProperties", obj{{"Size.$", "$.Foreach.Width"}}})
			if r := b.Step.Options.Retry; r != nil && r.Times > 0 {
				out = append(out, kv{"RetryStrategy", obj{{"Attempts", r.Times + 1}}})
			}
			continue
		}
		out = append(out, p)
	}
	for i := range t {
		if t[i].k == "Parameters" {
			t[i].v = out
		}
	}
	return append(t, kv{"Retry", []any{transientRetry()}}, nxt)
}
