package statemachine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow/internal/graph"
)

// A top-level foreach whose body is one step runs its items as AWS Batch
// array jobs (docs/state-machine.md, "Array jobs"): one SubmitJob with
// ArrayProperties.Size = the width, whose children (AWS_BATCH_JOB_ARRAY_INDEX
// 0 to width-1) are the body's tasks. A Step Functions Map would enter one
// Task state per item, so this saves a transition and a SubmitJob call per
// item. AWS Batch's bounds shape the states (S: the array size, at most
// 10,000; C: the chunk, min(S, 1,000)):
//
//	<step>.Width  (getItem, as every foreach)
//	<step>.Mode   (Choice on the width)
//	   0              -> <step>.Empty  --> join
//	   over 1,000 x C -> <step>.TooWide
//	   over S         -> <step>.Arrays (Pass: the chunk offsets 0, C, 2C, ...)
//	                     <step>.ArrayJobs (Map INLINE over them), each:
//	                       <body>.Tail (Choice: the last chunk?)
//	                       <body>.Full (Size C) or <body>.Rest (Size: what is left) + <body>.Size (Choice: 1 item?)
//	                       <body>.Chunk (array job of Size children from the offset), or <body>.Single (one job)
//	   1              -> <body>.One    (one plain job, task 0)
//	   2 to S         -> <body>        (one array job)
//	--> join
//
// A chunk is at most 1,000 items because its size is counted with
// States.ArrayRange (there is no subtraction of two paths), which lists at
// most 1,000. The step's retry count becomes the job's retry strategy
// (Batch retries each child on its own, at once); its timeout is each
// child's attempt duration; its catch is recorded by each job on its last
// attempt (arrayTask). What Batch cannot express keeps the Map
// (graph.ArrayJobBody says why).

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
	size := c.s.ArraySize
	if size == 0 {
		size = maxArray
	}
	chunk := min(size, maxRange)
	maxWidth := maxRange * chunk
	mode, tooWide, arrays, empty := helper(n.Name, "Mode"), helper(n.Name, "TooWide"), helper(n.Name, "Arrays"), helper(n.Name, "Empty")
	one, array := helper(b.Name, "One"), sn(b.Name)
	rules := []any{
		obj{{"Variable", "$.Foreach.Width"}, {"NumericEquals", 0}, {"Next", empty}},
		obj{{"Variable", "$.Foreach.Width"}, {"NumericGreaterThan", maxWidth}, {"Next", tooWide}},
		obj{{"Variable", "$.Foreach.Width"}, {"NumericGreaterThan", size}, {"Next", arrays}},
		obj{{"Variable", "$.Foreach.Width"}, {"NumericEquals", 1}, {"Next", one}},
	}
	*states = append(*states,
		kv{width, append(get, kv{"Next", mode})},
		kv{mode, obj{{"Type", "Choice"}, {"Choices", rules}, {"Default", array}}},
		kv{empty, obj{{"Type", "Pass"}, {"Parameters", obj{{"RunId.$", "$.RunId"}, {"TaskId.$", "$.TaskId"}}}, {"Next", sn(n.MatchingJoin)}}},
		kv{tooWide, obj{{"Type", "Fail"}, {"Error", "Stepflow.ForeachTooWide"},
			{"Cause", fmt.Sprintf("foreach step %s has more than %d items (%d array jobs of %d); lower the width", n.Name, maxWidth, maxRange, chunk)}}})
	// One item: a plain job. Its task id is the item's index, 0, which is
	// the foreach task's own id at the top level ($.TaskId).
	*states = append(*states, kv{one, c.arrayTask(b, one, "", "", join)})
	*states = append(*states, kv{array, c.arrayTask(b, array, "$.Foreach.Width", "0", join)})
	*states = append(*states, c.arrayChunks(n, b, arrays, chunk, join)...)
}

// arrayChunks returns the states of a foreach wider than one array job:
// the Pass listing the chunk offsets and the INLINE Map that submits one
// array job per chunk (the last one may be a single job).
func (c *compiler) arrayChunks(n, b *graph.Node, arrays string, chunk int, join kv) []kv {
	jobs := helper(n.Name, "ArrayJobs")
	tail, full, rest, sizeOne := helper(b.Name, "Tail"), helper(b.Name, "Full"), helper(b.Name, "Rest"), helper(b.Name, "Size")
	task, single := helper(b.Name, "Chunk"), helper(b.Name, "Single")
	ids := obj{{"RunId.$", "$.RunId"}, {"TaskId.$", "$.TaskId"}, {"Start.$", "$.Start"}}
	each := obj{
		{tail, obj{{"Type", "Choice"},
			{"Choices", []any{obj{{"Variable", "$.Start"}, {"NumericGreaterThanPath", "$.Last"}, {"Next", rest}}}},
			{"Default", full}}},
		{full, obj{{"Type", "Pass"}, {"Parameters", append(append(obj{}, ids...), kv{"Size", chunk})}, {"Next", task}}},
		// The last chunk: Width - Start items, counted (at most 1,000).
		{rest, obj{{"Type", "Pass"}, {"Parameters", append(append(obj{}, ids...),
			kv{"Size.$", "States.ArrayLength(States.ArrayRange($.Start, States.MathAdd($.Width, -1), 1))"})}, {"Next", sizeOne}}},
		{sizeOne, obj{{"Type", "Choice"},
			{"Choices", []any{obj{{"Variable", "$.Size"}, {"NumericEquals", 1}, {"Next", single}}}},
			{"Default", task}}},
		{task, c.arrayTask(b, task, "$.Size", "$.Start", kv{"End", true})},
		{single, c.arrayTask(b, single, "", "$.Start", kv{"End", true})},
	}
	c.mapItems[jobs] = maxRange
	return []kv{
		{arrays, obj{{"Type", "Pass"}, {"Parameters", obj{
			{"Payload", obj{{"RunId.$", "$.RunId"}, {"TaskId.$", "$.TaskId"}}},
			{"Width.$", "$.Foreach.Width"},
			{"Last.$", fmt.Sprintf("States.MathAdd($.Foreach.Width, %d)", -chunk)},
			{"Offsets.$", fmt.Sprintf("States.ArrayRange(0, States.MathAdd($.Foreach.Width, -1), %d)", chunk)},
		}}, {"Next", jobs}}},
		{jobs, obj{{"Type", "Map"}, {"ItemsPath", "$.Offsets"},
			{"ItemSelector", obj{{"RunId.$", "$.Payload.RunId"}, {"TaskId.$", "$.Payload.TaskId"}, {"Width.$", "$.Width"},
				{"Last.$", "$.Last"}, {"Start.$", "$$.Map.Item.Value"}}},
			// Each iteration is an array job: AWS Batch schedules its
			// children as its capacity allows.
			{"MaxConcurrency", maxInline},
			{"ItemProcessor", obj{{"ProcessorConfig", obj{{"Mode", "INLINE"}}}, {"StartAt", tail}, {"States", each}}},
			{"ResultPath", nil}, {"OutputPath", "$.Payload"}, join}},
	}
}

// arrayTask is a Task state named name that submits body step b's job:
// with size (a path to the number of children) an array job, its
// children's task ids offset (a number, or a path to one) plus their
// index; without, one job whose task id is offset (a path), or the
// payload's TaskId when offset is "". The step's retry count is the
// array job's retry strategy, and the state retries the integration's
// transient errors only; a single job keeps the step's Retry. A step with
// a catch has no catch handler state: every job of it, single ones too,
// catches its failure itself on its last AWS Batch attempt
// (STEPFLOW_CATCH_ATTEMPTS, the retry strategy's attempts), so a single
// job's retries are Batch's too.
func (c *compiler) arrayTask(b *graph.Node, name, size, offset string, nxt kv) obj {
	c.stepOf[name] = b.Name
	catch := b.Step.Options.Catch != ""
	if size == "" && offset == "" && !catch {
		single := obj{}
		c.task(&single, b, "$", nxt)
		return single[0].v.(obj)
	}
	times := 0
	if r := b.Step.Options.Retry; r != nil {
		times = r.Times
	}
	t := c.submit(b, "$", "States.Format('{}', $$.State.RetryCount)", "")
	params := t.get("Parameters").(obj)
	var out obj
	for _, p := range params {
		if p.k != "ContainerOverrides" {
			out = append(out, p)
			continue
		}
		var env []any
		for _, e := range p.v.(obj).get("Environment").([]any) {
			if e.(obj).get("Name") == EnvTaskID {
				switch {
				case offset == "":
				case size == "":
					e = obj{{"Name", EnvTaskID}, {"Value.$", "States.Format('{}', " + offset + ")"}}
				case strings.HasPrefix(offset, "$"):
					e = obj{{"Name", EnvArrayOffset}, {"Value.$", "States.Format('{}', " + offset + ")"}}
				default:
					e = obj{{"Name", EnvArrayOffset}, {"Value", offset}}
				}
				if catch {
					env = append(env, e)
					e = obj{{"Name", EnvCatchAttempts}, {"Value", strconv.Itoa(times + 1)}}
				}
			}
			env = append(env, e)
		}
		p.v = obj{{"Environment", env}}
		out = append(out, p)
		if size != "" {
			out = append(out, kv{"ArrayProperties", obj{{"Size.$", size}}})
		}
		if (size != "" || catch) && times > 0 {
			out = append(out, kv{"RetryStrategy", obj{{"Attempts", times + 1}}})
		}
	}
	for i := range t {
		if t[i].k == "Parameters" {
			t[i].v = out
		}
	}
	if size == "" && !catch {
		// A single job: the step's own retry, as any Task.
		return append(t, kv{"Retry", stepRetry(b.Step.Options)}, nxt)
	}
	return append(t, kv{"Retry", []any{transientRetry()}}, nxt)
}
