package statemachine

import (
	"fmt"
	"strings"

	"github.com/stepflow/stepflow/internal/cachekey"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/taskcontract"
)

// The step cache on Step Functions (docs/state-machine.md, "Step
// caching"): a cached step whose hits the state machine decides
// (cachekey.CloudCached) enters, instead of its Batch Task state,
//
//	<step>          DynamoDB GetItem "out:<run>/<input>/<task>": the digest
//	                of the input's artifacts, which the input's task wrote
//	                (or the state machine, on the input's own hit)
//	<step>.Lookup   DynamoDB GetItem "cache:<key>", the key the hex
//	                SHA-256 (States.Hash) of the compiled prefix
//	                (cachekey.CloudPrefix) and the digest
//	<step>.Cached   Choice: an item naming an attempt → <step>.Hit, else
//	                <step>.Run (a task drops an entry whose attempt
//	                cannot serve by writing one without)
//	<step>.Hit      DynamoDB PutItem "out:<run>/<step>/<task>": the cached
//	                attempt, the key, the input and the cached digest; no
//	                Batch job. The next task records the hit in the
//	                datastore before it reads it.
//	<step>.Run      the step's Batch Task state, with STEPFLOW_CACHE_KEY:
//	                the task stores its success under the key.
//
// Both paths go on to the step's successor.

// The field of the payload the lookups write.
const cacheField = "$.Cache"

// keyExpr is the intrinsic of a cloud-cached step's key.
func keyExpr(prefix string) string {
	return fmt.Sprintf("States.Hash(States.Format('%s{}', %s.Digest), 'SHA-256')", prefix, cacheField)
}

// cachedTask adds the states of a cloud-cached step n (see above); nxt is
// where the step goes on.
func (c *compiler) cachedTask(states *obj, n *graph.Node, in string, nxt kv) {
	input := n.In[0]
	// The input's digest, and the input as the hit records it: the
	// input task's own, or in a foreach's Map the foreach task's digest
	// of this item's inputs (a top-level foreach: task 0).
	digestKey := fmt.Sprintf("States.Format('%s{}/%s/{}', %s.RunId, %s.TaskId)", cachekey.OutPrefix, input, in, in)
	inputs := fmt.Sprintf("States.Format('{}/%s/{}', %s.RunId, %s.TaskId)", input, in, in)
	if cachekey.MapCached(c.g, n) {
		digestKey = fmt.Sprintf("States.Format('%s{}/%s/0/{}', %s.RunId, %s.TaskId)", cachekey.OutPrefix, input, in, in)
		inputs = fmt.Sprintf("States.Format('{}/%s/0', %s.RunId)", input, in)
	}
	lookup, choice, hit, run := helper(n.Name, "Lookup"), helper(n.Name, "Cached"), helper(n.Name, "Hit"), helper(n.Name, "Run")
	prefix := cachekey.CloudPrefix(c.f, n.Name, c.s.ImageFor(n.Step.Options.Batch.Image), MachineScope(c.f, c.s))
	key := keyExpr(prefix)
	retry := []any{obj{{"ErrorEquals", []string{"States.TaskFailed"}}, {"IntervalSeconds", 1}, {"MaxAttempts", 5},
		{"BackoffRate", 2}, {"MaxDelaySeconds", 30}, {"JitterStrategy", "FULL"}}}
	pathKey := func(format string) obj {
		return obj{{"pathspec", obj{{"S.$", format}}}}
	}
	c.stepOf[sn(n.Name)] = n.Name
	*states = append(*states, kv{sn(n.Name), obj{
		{"Type", "Task"},
		{"Resource", c.arn("dynamodb:getItem")},
		{"Parameters", obj{{"TableName", c.s.DynamoDBTable},
			{"Key", pathKey(digestKey)},
			{"ConsistentRead", true}}},
		{"ResultSelector", obj{{"Digest.$", "$.Item." + cachekey.AttrDigest + ".S"}}},
		{"ResultPath", in + cacheField[1:]},
		{"Retry", retry},
		{"Next", lookup},
	}})
	c.stepOf[lookup] = n.Name
	*states = append(*states, kv{lookup, obj{
		{"Type", "Task"},
		{"Resource", c.arn("dynamodb:getItem")},
		{"Parameters", obj{{"TableName", c.s.DynamoDBTable},
			{"Key", pathKey(fmt.Sprintf("States.Format('%s{}', %s)", cachekey.CachePrefix, key))},
			{"ConsistentRead", true}}},
		{"ResultPath", in + cacheField[1:] + ".Found"},
		{"Retry", retry},
		{"Next", choice},
	}})
	*states = append(*states, kv{choice, obj{{"Type", "Choice"},
		{"Choices", []any{obj{{"Variable", in + cacheField[1:] + ".Found.Item." + cachekey.AttrCachedFrom}, {"IsPresent", true}, {"Next", hit}}}},
		{"Default", run}}})
	found := in + cacheField[1:] + ".Found.Item."
	c.stepOf[hit] = n.Name
	*states = append(*states, kv{hit, obj{
		{"Type", "Task"},
		{"Resource", c.arn("dynamodb:putItem")},
		{"Parameters", obj{{"TableName", c.s.DynamoDBTable}, {"Item", obj{
			{"pathspec", obj{{"S.$", fmt.Sprintf("States.Format('%s{}/%s/{}', %s.RunId, %s.TaskId)", cachekey.OutPrefix, n.Name, in, in)}}},
			{cachekey.AttrDigest, obj{{"S.$", found + cachekey.AttrDigest + ".S"}}},
			{cachekey.AttrCachedFrom, obj{{"S.$", found + cachekey.AttrCachedFrom + ".S"}}},
			{cachekey.AttrCacheKey, obj{{"S.$", key}}},
			{cachekey.AttrInputs, obj{{"S.$", inputs}}},
		}}}},
		{"ResultPath", nil},
		{"Retry", retry},
		nxt,
	}})
	// The Batch Task state, as any step's, under the name <step>.Run and
	// with the key in its environment.
	var task obj
	c.task(&task, n, in, nxt)
	for i := range task {
		if task[i].k == sn(n.Name) {
			task[i].k = run
			task[i].v = withEnv(task[i].v.(obj), taskcontract.EnvCacheKey, key)
		}
	}
	c.stepOf[run] = n.Name
	c.stepOf[sn(n.Name)] = n.Name
	*states = append(*states, task...)
}

// withEnv adds an environment variable whose value is the intrinsic or
// path expr to a Batch Task state's container overrides.
func withEnv(t obj, name, expr string) obj { return addEnv(t, obj{{"Name", name}, {"Value.$", expr}}) }

// withEnvValue adds an environment variable with a literal value.
func withEnvValue(t obj, name, value string) obj {
	return addEnv(t, obj{{"Name", name}, {"Value", value}})
}

// addEnv adds v to a Batch Task state's container overrides.
func addEnv(t obj, v obj) obj {
	for i := range t {
		if t[i].k != "Parameters" {
			continue
		}
		p := t[i].v.(obj)
		for j := range p {
			if p[j].k != "ContainerOverrides" {
				continue
			}
			co := p[j].v.(obj)
			for k := range co {
				if co[k].k == "Environment" {
					co[k].v = append(co[k].v.([]any), v)
				}
			}
		}
	}
	return t
}

// cached reports whether the flow has a step whose hits the state machine
// decides: it then needs the bookkeeping table.
func (c *compiler) cached() bool {
	for _, name := range c.g.Order {
		if c.decided(c.g.Node(name)) {
			return true
		}
	}
	return false
}

// decided reports whether the state machine decides the hits of step n:
// CloudCached, or MapCached in a foreach whose body runs in a Map (not as
// array jobs).
func (c *compiler) decided(n *graph.Node) bool {
	if cachekey.CloudCached(c.g, n) {
		return true
	}
	if !cachekey.MapCached(c.g, n) {
		return false
	}
	b, _ := c.arrayBody(c.g.Node(n.In[0]))
	return b == nil
}

// markCachedItems sets EnvCacheItems on the Task state of foreach f (the
// last of states named for it) when the first step of its body, run in a
// Map, is cached: its task writes the digest of each item's inputs.
func (c *compiler) markCachedItems(states *obj, f *graph.Node) {
	if !cachekey.MapCached(c.g, c.g.Node(f.Out[0])) {
		return
	}
	for i := len(*states) - 1; i >= 0; i-- {
		if (*states)[i].k == sn(f.Name) {
			(*states)[i].v = withEnvValue((*states)[i].v.(obj), taskcontract.EnvCacheItems, "1")
			return
		}
	}
}

// cacheLookup sets, in a plan's simulation, what a cache lookup whose
// ResultPath is rp found: an item when the plan assumes hits.
func (s *simulation) cacheLookup(rp string, e env) {
	if s.p.CacheHits && strings.HasSuffix(rp, cacheField[1:]+".Found") {
		e[rp+".Item."+cachekey.AttrCachedFrom] = true
	}
}

// cachePutItems is the number of PutItem calls the task of a Batch Task
// state st of step n makes for the step cache: its success under its key
// (a cached step's job), and the digest of its artifacts (a step whose
// successor is cached).
func (s *simulation) cachePutItems(n *graph.Node, st obj) int {
	if n == nil {
		return 0
	}
	k := 0
	params, _ := st.get("Parameters").(obj)
	overrides, _ := params.get("ContainerOverrides").(obj)
	env, _ := overrides.get("Environment").([]any)
	for _, v := range env {
		o, _ := v.(obj)
		switch o.get("Name") {
		case taskcontract.EnvCacheKey:
			k++
		case taskcontract.EnvCacheItems:
			k += s.p.Widths[n.Name] // one per item
		}
	}
	if cachekey.FeedsCloudCached(s.r.graph, n) {
		k++
	}
	return k
}

// cacheWarnings warns of the cached steps whose hits a state machine
// does not decide: they run their Batch job every time on Step Functions.
func (c *compiler) cacheWarnings() {
	for _, name := range c.g.Order {
		n := c.g.Node(name)
		if n.Step.Options.Cache != nil && !c.decided(n) {
			c.warns = append(c.warns, fmt.Sprintf("step %s: Cache has no effect on Step Functions, which decides the hits of linear steps outside any foreach (not the start or end step) whose input is a linear step or a join outside any foreach, and of the first step of a top-level foreach's body run in a Map (not as array jobs: --no-array-jobs); its tasks run a Batch job every time", name))
		}
	}
}
