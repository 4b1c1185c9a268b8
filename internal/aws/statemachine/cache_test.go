package statemachine_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
)

// cached returns start -> prep (cached) -> train (cached v1) -> end, with
// a foreach whose body is cached (not decided in the state machine).
func cachedFlow() *flow.Flow {
	b := stepflow.New[S]("CachedFlow").
		Step("start", noop, stepflow.Next("prep")).
		Step("prep", noop, stepflow.Next("train"), stepflow.Cache()).
		Step("train", noop, stepflow.Foreach("Items", "body"), stepflow.Cache("v1")).
		Step("body", noop, stepflow.Next("join"), stepflow.Cache()).
		Join("join", func(*S, *stepflow.Context, []*S) error { return nil }, stepflow.Next("end")).
		Step("end", noop, stepflow.Cache())
	return flow.MustDefinitionOf(b)
}

// TestCompileCachedStep: a cached linear step outside any foreach is
// entered through its cache lookups (input digest, key lookup, Choice),
// whose hit records itself with a PutItem and goes on without a Batch job,
// and whose miss runs the Batch job with the key; a foreach step, a body,
// and the end step keep their plain Task state. The key differs between
// deployments (branches) and between code (images); it passes
// asl-validator.
func TestCompileCachedStep(t *testing.T) {
	f := cachedFlow()
	s := testSettings()
	res, err := statemachine.Compile(mustGraph(t, f), s)
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		States map[string]map[string]any
	}
	if err := json.Unmarshal(res.Definition, &def); err != nil {
		t.Fatal(err)
	}
	st := def.States
	for _, name := range []string{"prep", "prep.Lookup", "prep.Cached", "prep.Hit", "prep.Run"} {
		if st[name] == nil {
			t.Fatalf("no state %s; states: %v", name, keys(st))
		}
	}
	if r := st["prep"]["Resource"]; !strings.HasSuffix(r.(string), ":dynamodb:getItem") {
		t.Errorf("prep is entered by %v, not its input's digest", r)
	}
	if st["start"]["Next"] != "prep" || st["prep"]["Next"] != "prep.Lookup" || st["prep.Lookup"]["Next"] != "prep.Cached" {
		t.Errorf("the lookups are not chained: %v %v %v", st["start"]["Next"], st["prep"]["Next"], st["prep.Lookup"]["Next"])
	}
	choice := st["prep.Cached"]
	if choice["Default"] != "prep.Run" || !strings.Contains(mustJSON(t, choice["Choices"]), `"Next":"prep.Hit"`) {
		t.Errorf("prep.Cached: %v", choice)
	}
	if st["prep.Hit"]["Next"] != "train" || !strings.HasSuffix(st["prep.Hit"]["Resource"].(string), ":dynamodb:putItem") {
		t.Errorf("prep.Hit: %v", st["prep.Hit"])
	}
	run := mustJSON(t, st["prep.Run"])
	if !strings.Contains(run, `"Name":"STEPFLOW_CACHE_KEY","Value.$":"States.Hash(States.Format('`) || st["prep.Run"]["Next"] != "train" {
		t.Errorf("prep.Run has no cache key or does not go on to train: %s", run)
	}
	// train is a foreach and end the end step: plain Task states.
	for _, name := range []string{"train", "end"} {
		if r := st[name]["Resource"].(string); !strings.HasSuffix(r, ":batch:submitJob.sync") || strings.Contains(mustJSON(t, st[name]), "CACHE_KEY") {
			t.Errorf("%s: %s", name, mustJSON(t, st[name]))
		}
	}
	prefix := func(s statemachine.Settings) string {
		r, err := statemachine.Compile(mustGraph(t, f), s)
		if err != nil {
			t.Fatal(err)
		}
		d := string(r.Definition)
		i := strings.Index(d, "States.Hash(States.Format('")
		return d[i : i+27+64]
	}
	branch := s
	branch.Branch = "test"
	image := s
	image.Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/stepflow@sha256:" + strings.Repeat("1", 64)
	base := prefix(s)
	if prefix(branch) == base || prefix(image) == base {
		t.Errorf("the key's prefix is the same on another branch or image: %s", base)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "state-machine.json")
	if err := os.WriteFile(file, res.Definition, 0o644); err != nil {
		t.Fatal(err)
	}
	// A cached step needs the bookkeeping table.
	noTable := s
	noTable.DynamoDBTable = ""
	if _, err := statemachine.Compile(mustGraph(t, linearCached()), noTable); err == nil || !strings.Contains(err.Error(), "dynamodb-table") {
		t.Errorf("compiled a cached step without a table: %v", err)
	}
	// The plan: misses by default, hits with CacheHits.
	miss, err := res.Plan(statemachine.Assumptions{})
	if err != nil {
		t.Fatal(err)
	}
	hit, err := res.Plan(statemachine.Assumptions{CacheHits: true})
	if err != nil {
		t.Fatal(err)
	}
	if miss.Jobs-hit.Jobs != 1 || hit.Transitions != miss.Transitions {
		t.Errorf("plan: %d jobs, %d transitions on a miss; %d, %d on a hit; want one job less and as many transitions (Hit for Run)",
			miss.Jobs, miss.Transitions, hit.Jobs, hit.Transitions)
	}
	// The body runs as array jobs by default: no lookups; in a Map
	// (--no-array-jobs) it is looked up item by item, the foreach's task
	// told to write the items' digests.
	if st["body.Lookup"] != nil || strings.Contains(mustJSON(t, st["train"]), "STEPFLOW_CACHE_ITEMS") {
		t.Errorf("a body run as array jobs has lookups, or its foreach writes item digests")
	}
	mapped := s
	mapped.NoArrayJobs = true
	mres, err := statemachine.Compile(mustGraph(t, f), mapped)
	if err != nil {
		t.Fatal(err)
	}
	md := string(mres.Definition)
	for _, want := range []string{`"body.Lookup"`, `"body.Hit"`, `"body.Run"`, `"body.Lookup.Dist"`, `"Name": "STEPFLOW_CACHE_ITEMS"`,
		`States.Format('out:{}/train/0/{}', $.RunId, $.TaskId)`, `States.Format('{}/train/0', $.RunId)`} {
		if !strings.Contains(md, want) {
			t.Errorf("--no-array-jobs: the definition lacks %s", want)
		}
	}
	mfile := filepath.Join(dir, "mapped.json")
	if err := os.WriteFile(mfile, mres.Definition, 0o644); err != nil {
		t.Fatal(err)
	}
	validate(t, file, mfile)
}

func linearCached() *flow.Flow {
	return flow.MustDefinitionOf(stepflow.New[S]("LinearCached").
		Step("start", noop, stepflow.Next("a")).
		Step("a", noop, stepflow.Next("end"), stepflow.Cache()).
		Step("end", noop))
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
