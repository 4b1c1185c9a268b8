package statemachine_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/jobdef"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/testbin"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

const root = "../../.."

// settingsEnv is the environment the example binaries compile with.
var settingsEnv = []string{
	"STEPFLOW_REGION=us-east-1",
	"STEPFLOW_DATASTORE_ROOT=s3://stepflow-bucket/flows",
	"STEPFLOW_BATCH_QUEUE=stepflow-queue",
	"STEPFLOW_IMAGE_REPOSITORY=123456789012.dkr.ecr.us-east-1.amazonaws.com/stepflow",
	"STEPFLOW_BATCH_JOB_ROLE=arn:aws:iam::123456789012:role/stepflow-task",
	"STEPFLOW_BATCH_EXECUTION_ROLE=arn:aws:iam::123456789012:role/stepflow-ecs",
	"STEPFLOW_SFN_ROLE=arn:aws:iam::123456789012:role/stepflow-sfn",
	"STEPFLOW_SCHEDULER_ROLE=arn:aws:iam::123456789012:role/stepflow-scheduler",
	"STEPFLOW_DYNAMODB_TABLE=stepflow-bookkeeping",
}

func testSettings() statemachine.Settings {
	return statemachine.Settings{
		Region: "us-east-1", DatastoreRoot: "s3://stepflow-bucket/flows", Queue: "stepflow-queue",
		ImageRepository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/stepflow", JobRole: "arn:aws:iam::123456789012:role/stepflow-task",
		ExecutionRole: "arn:aws:iam::123456789012:role/stepflow-ecs", DynamoDBTable: "stepflow-bookkeeping",
	}
}

// examples lists the example directories (each a flow program).
func examples(t testing.TB) []string {
	ents, err := os.ReadDir(filepath.Join(root, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(root, "examples", e.Name(), "main.go")); e.IsDir() && err == nil {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatal("no examples found")
	}
	return out
}

// compiledExamples builds every example once (testbin: shared with the
// other test packages) and compiles it with
// `step-functions create --only-json --output-dir`; it returns the output
// directory of each.
func compiledExamples(t *testing.T) map[string]string {
	t.Helper()
	tmp := t.TempDir()
	// The AWS build, as in package e2e: the same binaries.
	bins := testbin.MustBuild(t, testbin.Options{Tags: []string{"stepflow_aws"}}, "./examples/...")
	dirs := map[string]string{}
	for _, ex := range examples(t) {
		out := filepath.Join(tmp, "out", ex)
		bin, ok := bins["github.com/stepflow/stepflow/examples/"+ex]
		if !ok {
			t.Fatalf("example %s was not built (%v)", ex, bins)
		}
		cmd := exec.Command(bin, "step-functions", "create", "--only-json", "--output-dir", out)
		cmd.Dir = root // the params example reads its config relative to the root
		cmd.Env = append([]string{"HOME=" + tmp, "PATH=" + os.Getenv("PATH")}, settingsEnv...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s step-functions create: %v\n%s", ex, err, stderr.String())
		}
		dirs[ex] = out
	}
	return dirs
}

func TestExamplesGolden(t *testing.T) {
	dirs := compiledExamples(t)
	var defs []string
	for _, ex := range examples(t) {
		golden := filepath.Join("testdata", "golden", ex)
		files, _ := filepath.Glob(filepath.Join(dirs[ex], "*.json"))
		defs = append(defs, filepath.Join(dirs[ex], "state-machine.json"))
		if *update {
			os.RemoveAll(golden)
			if err := os.MkdirAll(golden, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		want, _ := filepath.Glob(filepath.Join(golden, "*.json"))
		if !*update && len(want) != len(files) {
			t.Errorf("%s: compiled %d files, golden has %d; run go test ./internal/aws/statemachine -run Golden -update and review the diff", ex, len(files), len(want))
		}
		for _, f := range files {
			got, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			g := filepath.Join(golden, filepath.Base(f))
			if *update {
				if err := os.WriteFile(g, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			w, err := os.ReadFile(g)
			if err != nil {
				t.Errorf("%s: %v; run go test ./internal/aws/statemachine -run Golden -update and review it", ex, err)
				continue
			}
			if !bytes.Equal(got, w) {
				t.Errorf("%s/%s differs from the golden file; if the change is intended, run go test ./internal/aws/statemachine -run Golden -update and review the diff\n%s",
					ex, filepath.Base(f), firstDiff(string(w), string(got)))
			}
		}
	}
	validate(t, defs...)
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return ""
}

// S is the state of the generated test flows.
type S struct {
	Items   []int
	Choice  string
	Caught  string
	Failure stepflow.Failure
}

func noop(*S, *stepflow.Context) error       { return nil }
func join(*S, *stepflow.Context, []*S) error { return nil }
func mustGraph(t testing.TB, f *flow.Flow) *graph.Graph {
	t.Helper()
	g, err := graph.New(f)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// linear returns a flow of n steps in a chain.
func linear(n int) *flow.Flow {
	b := stepflow.New[S]("LinearFlow")
	prev := "start"
	for i := 1; i < n-1; i++ {
		name := fmt.Sprintf("step_%04d", i)
		b.Step(prev, noop, stepflow.Next(name))
		prev = name
	}
	b.Step(prev, noop, stepflow.Next("end")).Step("end", noop)
	return flow.MustDefinitionOf(b)
}

// nested returns a flow of depth nested foreaches.
func nested(depth int) *flow.Flow {
	b := stepflow.New[S]("NestedFlow")
	prev := "start"
	for i := 1; i <= depth; i++ {
		name := fmt.Sprintf("level_%d", i)
		b.Step(prev, noop, stepflow.Foreach("Items", name))
		prev = name
	}
	b.Step(prev, noop, stepflow.Next(fmt.Sprintf("join_%d", depth)))
	for i := depth; i >= 1; i-- {
		nxt := "end"
		if i > 1 {
			nxt = fmt.Sprintf("join_%d", i-1)
		}
		b.Join(fmt.Sprintf("join_%d", i), join, stepflow.Next(nxt))
	}
	b.Step("end", noop)
	return flow.MustDefinitionOf(b)
}

func compile(t testing.TB, f *flow.Flow, s statemachine.Settings) *statemachine.Result {
	t.Helper()
	r, err := statemachine.Compile(mustGraph(t, f), s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBigFlowsValidate(t *testing.T) {
	dir := t.TempDir()
	lin := compile(t, linear(1000), testSettings())
	dist := testSettings()
	dist.DistributedMap = true
	dist.MaxWorkers = 1000
	files := map[string][]byte{
		"linear1000.json":           lin.Definition,
		"nested10.json":             compile(t, nested(10), testSettings()).Definition,
		"nested10-distributed.json": compile(t, nested(10), dist).Definition,
	}
	var paths []string
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	t.Logf("1,000-step definition: %d bytes compact, %d indented", lin.DefinitionSize, len(lin.Definition))
	for _, name := range []string{"nested10.json", "nested10-distributed.json"} {
		var b bytes.Buffer
		json.Compact(&b, files[name])
		t.Logf("%s: %d bytes compact", name, b.Len())
	}
	// The innermost task id is built from ten indices.
	if d := string(files["nested10.json"]); !strings.Contains(d, `"TaskId.$": "States.Format('{}-{}', $.Payload.TaskId, $$.Map.Item.Value)"`) ||
		!strings.Contains(d, `"TaskId.$": "States.Format('{}', $$.Map.Item.Value)"`) {
		t.Error("nested foreach task ids are not built from the parent task id")
	}
	validate(t, paths...)
}

func TestDeterministic(t *testing.T) {
	a := compile(t, nested(3), testSettings())
	b := compile(t, nested(3), testSettings())
	if !bytes.Equal(a.Definition, b.Definition) {
		t.Fatal("two compilations of the same flow differ")
	}
	ja, _ := jobdef.Marshal(a.JobDefinitions)
	jb, _ := jobdef.Marshal(b.JobDefinitions)
	if !bytes.Equal(ja, jb) {
		t.Fatal("job definitions differ between two compilations")
	}
}

// TestShapes checks the states of each shape in a decoded definition.
func TestShapes(t *testing.T) {
	b := stepflow.New[S]("ShapeFlow").
		Step("start", noop, stepflow.Switch("Choice", stepflow.Cases{"a": "left", "b": "right"})).
		Step("left", noop, stepflow.Next("risky")).
		Step("right", noop, stepflow.Next("risky")).
		Step("risky", noop, stepflow.Next("end"), stepflow.Catch("Caught"),
			stepflow.Retry(2, 1500*time.Millisecond).WithBackoff(3), stepflow.Timeout(10*time.Second),
			stepflow.Env{"LOOKS_LIKE_PATH": "$.RunId"}).
		Step("end", noop)
	r := compile(t, flow.MustDefinitionOf(b), testSettings())
	var def struct {
		States map[string]map[string]any
	}
	if err := json.Unmarshal(r.Definition, &def); err != nil {
		t.Fatal(err)
	}
	choice := def.States["start.Choice"]
	if choice["Type"] != "Choice" || choice["Default"] != "start.NoCase" || len(choice["Choices"].([]any)) != 2 {
		t.Errorf("switch choice: %v", choice)
	}
	if def.States["start.NoCase"]["Type"] != "Fail" {
		t.Error("no Fail state for an unknown switch target")
	}
	risky := def.States["risky"]
	retry := risky["Retry"].([]any)
	if len(retry) != 3 || retry[0].(map[string]any)["ErrorEquals"].([]any)[0] != "States.Permissions" || retry[0].(map[string]any)["MaxAttempts"] != 0.0 {
		t.Fatalf("retry: %v", retry)
	}
	if got := fmt.Sprint(retry[1].(map[string]any)["ErrorEquals"]); got != "[Batch.AWSBatchException Batch.ServerException Batch.SdkClientException]" {
		t.Errorf("transient errors retried: %s", got)
	}
	user := retry[2].(map[string]any)
	if user["MaxAttempts"] != 2.0 || user["IntervalSeconds"] != 2.0 || user["BackoffRate"] != 3.0 {
		t.Errorf("user retrier: %v", user)
	}
	if risky["TimeoutSeconds"] != 60.0+3600 {
		t.Errorf("TimeoutSeconds = %v", risky["TimeoutSeconds"])
	}
	params := risky["Parameters"].(map[string]any)
	if params["Timeout"].(map[string]any)["AttemptDurationSeconds"] != 60.0 {
		t.Errorf("a 10s timeout is not rounded up to Batch's 60s: %v", params["Timeout"])
	}
	caught := def.States["risky.Caught"]
	if caught == nil || caught["Next"] != "end" {
		t.Fatalf("catch handler: %v", caught)
	}
	env := fmt.Sprint(caught["Parameters"].(map[string]any)["ContainerOverrides"])
	for _, want := range []string{"STEPFLOW_CAUGHT Value.$:$.Caught.Error", "STEPFLOW_ATTEMPT Value:3", "LOOKS_LIKE_PATH Value:$.RunId"} {
		if !strings.Contains(env, strings.Fields(want)[0]) || !strings.Contains(env, strings.Fields(want)[1]) {
			t.Errorf("catch handler environment lacks %s: %s", want, env)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "shapes.json")
	os.WriteFile(p, r.Definition, 0o644)
	validate(t, p)
}

func TestNames(t *testing.T) {
	s := testSettings()
	s.Branch = strings.Repeat("feature-branch-", 6)
	r := compile(t, linear(3), s)
	if len(r.Name) > statemachine.MaxName || !strings.HasPrefix(r.Name, "feature-branch-") {
		t.Errorf("state machine name %q (%d chars)", r.Name, len(r.Name))
	}
	if r2 := compile(t, linear(3), s); r2.Name != r.Name {
		t.Error("shortened names are not deterministic")
	}
}

func TestMissingSettings(t *testing.T) {
	_, err := statemachine.Compile(mustGraph(t, nested(1)), statemachine.Settings{})
	var me *statemachine.MissingError
	if !errors.As(err, &me) {
		t.Fatalf("got %v, want a MissingError", err)
	}
	msg := err.Error()
	for _, want := range []string{"datastore-root", "queue", "image", "job-role", "dynamodb-table", "STEPFLOW_BATCH_QUEUE", `"image_repository" in the config file`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// A linear flow needs no table.
	s := testSettings()
	s.DynamoDBTable = ""
	if _, err := statemachine.Compile(mustGraph(t, linear(3)), s); err != nil {
		t.Errorf("linear flow without a table: %v", err)
	}
	s = testSettings()
	s.DatastoreRoot = "./.stepflow"
	if _, err := statemachine.Compile(mustGraph(t, linear(3)), s); err == nil || !strings.Contains(err.Error(), "not an S3 URL") {
		t.Errorf("local datastore root: %v", err)
	}
}

func TestLimits(t *testing.T) {
	big := func(n int) string { return strings.Repeat("v", n) }
	manyTags := map[string]string{}
	for i := range 47 {
		manyTags[fmt.Sprintf("tag%02d", i)] = big(256)
	}
	tooManyTags := map[string]string{}
	for i := range 48 {
		tooManyTags[fmt.Sprintf("t%d", i)] = "x"
	}
	cases := []struct {
		name  string
		opts  []stepflow.StepOption
		set   func(*statemachine.Settings)
		flow  *flow.Flow
		limit string
	}{
		{name: "overrides", opts: []stepflow.StepOption{stepflow.Env{"BIG": big(9000)}}, limit: "container overrides"},
		{name: "submit", opts: []stepflow.StepOption{stepflow.Env{"BIG": big(7000)}, stepflow.Batch{Tags: manyTags}},
			set: func(s *statemachine.Settings) {
				s.Queue = "arn:aws:batch:us-east-1:123456789012:job-queue/" + big(12000)
			}, limit: "SubmitJob payload"},
		{name: "tag count", opts: []stepflow.StepOption{stepflow.Batch{Tags: tooManyTags}}, limit: "Batch tags"},
		{name: "tag key", opts: []stepflow.StepOption{stepflow.Batch{Tags: map[string]string{"aws:x": "y"}}}, limit: "Batch tags"},
		{name: "tag value", opts: []stepflow.StepOption{stepflow.Batch{Tags: map[string]string{"k": big(300)}}}, limit: "Batch tags"},
		{name: "tag key charset", opts: []stepflow.StepOption{stepflow.Batch{Tags: map[string]string{"team#1": "ml"}}}, limit: "Batch tags"},
		{name: "tag value charset", opts: []stepflow.StepOption{stepflow.Batch{Tags: map[string]string{"team": "ml,ops"}}}, limit: "Batch tags"},
		{name: "definition", flow: linear(1800), limit: "definition"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.flow
			if f == nil {
				f = flow.MustDefinitionOf(stepflow.New[S]("LimitFlow").Step("start", noop, append([]stepflow.StepOption{stepflow.Next("end")}, tc.opts...)...).
					Step("end", noop))

			}
			s := testSettings()
			if tc.set != nil {
				tc.set(&s)
			}
			_, err := statemachine.Compile(mustGraph(t, f), s)
			var e *statemachine.Error
			if !errors.As(err, &e) || e.Limit != tc.limit {
				t.Fatalf("got %v, want a %s error", err, tc.limit)
			}
			if tc.flow == nil && e.Step != "start" {
				t.Errorf("error does not name the step: %v", err)
			}
			t.Log(err)
		})
	}
}

func TestItemSizeConstant(t *testing.T) {
	// The bookkeeping item depends on the nesting depth only, never on the
	// foreach width; even 10 levels are far below DynamoDB's 400 KB.
	r := compile(t, nested(10), testSettings())
	if r == nil {
		t.Fatal("no result")
	}
}

func BenchmarkCompile1000Steps(b *testing.B) {
	g := mustGraph(b, linear(1000))
	s := testSettings()
	b.ResetTimer()
	for b.Loop() {
		if _, err := statemachine.Compile(g, s); err != nil {
			b.Fatal(err)
		}
	}
}

// wide returns a flow with one top-level foreach (a body of two steps) and
// a nested one below it.
func wide() *flow.Flow {
	return flow.MustDefinitionOf(stepflow.New[S]("WideFlow").
		Step("start", noop, stepflow.Foreach("Items", "outer")).
		Step("outer", noop, stepflow.Next("prep"), stepflow.Catch("Caught")).
		Step("prep", noop, stepflow.Foreach("Items", "inner")).
		Step("inner", noop, stepflow.Next("inner_join")).
		Join("inner_join", join, stepflow.Next("outer_join")).
		Join("outer_join", join, stepflow.Next("end")).
		Step("end", noop))

}

// stateNames collects every state name of a decoded definition (branches
// and Map processors included), counting duplicates.
func stateNames(states map[string]any, into map[string]int) {
	for name, v := range states {
		into[name]++
		st := v.(map[string]any)
		if p, ok := st["ItemProcessor"].(map[string]any); ok {
			stateNames(p["States"].(map[string]any), into)
		}
		if bs, ok := st["Branches"].([]any); ok {
			for _, b := range bs {
				stateNames(b.(map[string]any)["States"].(map[string]any), into)
			}
		}
	}
}

// TestWideForeach checks the chunked foreach: a run-time choice between
// the inline Map and the chunked DISTRIBUTED Map at the top level, inline
// only below, chunked only with --distributed-map; unique state names;
// asl-validator accepts every shape.
func TestWideForeach(t *testing.T) {
	low := testSettings()
	low.DistributedMapThreshold, low.ForeachChunk = 3, 4
	dist := testSettings()
	dist.DistributedMap = true
	defs := map[string]*statemachine.Result{
		"wide-default.json":     compile(t, wide(), testSettings()),
		"wide-low.json":         compile(t, wide(), low),
		"wide-distributed.json": compile(t, wide(), dist),
		"nested3-low.json":      compile(t, nested(3), low),
	}
	dir := t.TempDir()
	var paths []string
	for name, r := range defs {
		var def struct{ States map[string]any }
		if err := json.Unmarshal(r.Definition, &def); err != nil {
			t.Fatal(err)
		}
		names := map[string]int{}
		stateNames(def.States, names)
		for n, k := range names {
			if k > 1 {
				t.Errorf("%s: state %s appears %d times", name, n, k)
			}
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, r.Definition, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		t.Logf("%s: %d bytes compact", name, r.DefinitionSize)
	}

	var def struct {
		States map[string]map[string]any
	}
	if err := json.Unmarshal(defs["wide-low.json"].Definition, &def); err != nil {
		t.Fatal(err)
	}
	// The width lookup converts the width to a number once; one Choice
	// then picks the path: no items, too wide, chunked or inline.
	if sel := fmt.Sprint(def.States["start.Width"]["ResultSelector"]); sel != "map[Width.$:States.StringToJson($.Item.width.N)]" {
		t.Errorf("start.Width: ResultSelector %s", sel)
	}
	if def.States["start.Width"]["Next"] != "start.Mode" || def.States["start.HasItems"] != nil || def.States["start.Size"] != nil {
		t.Errorf("start.Width is not followed by start.Mode alone: %v", def.States["start.Width"])
	}
	mode := def.States["start.Mode"]
	rules := mode["Choices"].([]any)
	if len(rules) != 3 || mode["Default"] != "start.Items" {
		t.Fatalf("start.Mode: %v", mode)
	}
	if r := rules[0].(map[string]any); r["NumericEquals"] != 0.0 || r["Next"] != "start.Empty" {
		t.Errorf("no-items rule: %v", r)
	}
	if r := rules[1].(map[string]any); r["NumericGreaterThan"] != 4000.0 || r["Next"] != "start.TooWide" {
		t.Errorf("too-wide rule: %v (want 1,000 chunks of 4)", r)
	}
	if r := rules[2].(map[string]any); r["NumericGreaterThan"] != 3.0 || r["Next"] != "start.Chunks" {
		t.Errorf("threshold rule: %v", r)
	}
	chunks := def.States["start.Chunks"]["Parameters"].(map[string]any)
	if got := chunks["Chunks.$"]; got != "States.ArrayRange(0, States.MathAdd($.Foreach.Width, -1), 4)" {
		t.Errorf("chunk starts: %v", got)
	}
	if got := chunks["Last.$"]; got != "States.MathAdd($.Foreach.Width, -4)" {
		t.Errorf("last full chunk's start: %v", got)
	}
	outer := def.States["start.Chunked"]
	cfg := outer["ItemProcessor"].(map[string]any)["ProcessorConfig"].(map[string]any)
	if cfg["Mode"] != "DISTRIBUTED" || cfg["ExecutionType"] != "STANDARD" || outer["Label"] != "start" ||
		outer["ResultPath"] != nil || outer["OutputPath"] != "$.Payload" {
		t.Errorf("start.Chunked: %v", outer)
	}
	if _, ok := outer["ResultPath"]; !ok {
		t.Error("start.Chunked has no ResultPath: its result would replace the payload")
	}
	// The default, 0: one failed item fails the foreach. An explicit 0 is
	// refused by LocalStack's ASL grammar (moto).
	if v, ok := outer["ToleratedFailurePercentage"]; ok {
		t.Errorf("start.Chunked has ToleratedFailurePercentage %v", v)
	}
	sel := fmt.Sprint(outer["ItemSelector"])
	if !strings.Contains(sel, "RunId.$:$.Payload.RunId") || strings.Contains(sel, "Execution") {
		t.Errorf("the run id is not threaded into the child executions: %s", sel)
	}
	child := outer["ItemProcessor"].(map[string]any)["States"].(map[string]any)
	each := child["start.Each"].(map[string]any)
	if got := each["ItemSelector"].(map[string]any)["TaskId.$"]; got != "States.Format('{}', $$.Map.Item.Value)" {
		t.Errorf("chunked task id: %v", got)
	}
	// A chunk chooses its indices once: full, or up to width-1 (the last).
	tail := child["start.Tail"].(map[string]any)
	rule := tail["Choices"].([]any)[0].(map[string]any)
	if rule["Variable"] != "$.Start" || rule["NumericGreaterThanPath"] != "$.Last" || rule["Next"] != "start.Rest" || tail["Default"] != "start.Chunk" {
		t.Errorf("start.Tail: %v", tail)
	}
	if got := child["start.Chunk"].(map[string]any)["Parameters"].(map[string]any)["Items.$"]; got != "States.ArrayRange($.Start, States.MathAdd($.Start, 3), 1)" {
		t.Errorf("chunk items: %v", got)
	}
	if got := child["start.Rest"].(map[string]any)["Parameters"].(map[string]any)["Items.$"]; got != "States.ArrayRange($.Start, States.MathAdd($.Width, -1), 1)" {
		t.Errorf("last chunk's items: %v", got)
	}
	// An item is the body alone: no helper state per item.
	item := each["ItemProcessor"].(map[string]any)["States"].(map[string]any)
	if each["ItemProcessor"].(map[string]any)["StartAt"] != "outer.Dist" || item["outer.Caught.Dist"] == nil || item["prep.Dist"] == nil {
		t.Errorf("chunk item states: %v", slices.Sorted(maps.Keys(item)))
	}
	// The nested foreach is inline only, in both copies.
	if item["prep.Mode.Dist"] != nil || item["prep.Map.Dist"] == nil || def.States["start.Map"]["ItemProcessor"].(map[string]any)["States"].(map[string]any)["prep.Map"] == nil {
		t.Error("the nested foreach is not inline only")
	}
	// The inline path is today's Map.
	if im := def.States["start.Map"]; im["ItemProcessor"].(map[string]any)["ProcessorConfig"].(map[string]any)["Mode"] != "INLINE" || im["MaxConcurrency"] != 100.0 {
		t.Errorf("start.Map: %v", im)
	}
	// 100 workers: 3 chunks at once of 33 items each.
	if outer["MaxConcurrency"] != 3.0 || each["MaxConcurrency"] != 33.0 {
		t.Errorf("concurrency %v × %v, want 3 × 33", outer["MaxConcurrency"], each["MaxConcurrency"])
	}

	// --distributed-map: chunked only, at every depth, no copy.
	def.States = nil
	if err := json.Unmarshal(defs["wide-distributed.json"].Definition, &def); err != nil {
		t.Fatal(err)
	}
	if m := def.States["start.Mode"]; len(m["Choices"].([]any)) != 2 || m["Default"] != "start.Chunks" || def.States["start.Map"] != nil {
		t.Errorf("--distributed-map: start.Mode %v", m)
	}
	d := string(defs["wide-distributed.json"].Definition)
	if strings.Contains(d, ".Dist\"") || !strings.Contains(d, `"prep.Chunked"`) {
		t.Error("--distributed-map: the body is copied, or the nested foreach is not chunked")
	}
	// Automatic sizes: one item of this body takes 47 events (outer and
	// its catch handler 6 each, prep 6, its getItem 5, HasItems, Empty and
	// Items 2 each, the nested Map 4 + 2 + inner 6, inner_join 6), so an
	// item 49, inline or chunked: threshold 10,000/49 = 204, chunk
	// 20,000/49 = 408.
	if d := string(defs["wide-default.json"].Definition); !strings.Contains(d, `"NumericGreaterThan": 408000`) || !strings.Contains(d, `"NumericGreaterThan": 204`) {
		t.Error("automatic threshold and chunk are not 204 and 408")
	}
	// A body of one Batch step: 1,000 and 1,000.
	one := flow.MustDefinitionOf(stepflow.New[S]("OneFlow").Step("start", noop, stepflow.Foreach("Items", "work")).Step("work", noop, stepflow.Next("join")).
		Join("join", join, stepflow.Next("end")).Step("end", noop))

	maps := testSettings()
	maps.NoArrayJobs = true // a Map's threshold (array jobs have none)
	if d := string(compile(t, one, maps).Definition); !strings.Contains(d, `"NumericGreaterThan": 1000000`) || !strings.Contains(d, `"NumericGreaterThan": 1000,`) {
		t.Error("default threshold and chunk of a one-step body are not 1,000")
	}
	validate(t, paths...)
}

func TestForeachSettingsRange(t *testing.T) {
	for _, tc := range []struct {
		threshold, chunk int
		want             string
	}{{1001, 0, "distributed map threshold 1001"}, {-1, 0, "distributed map threshold -1"}, {0, 1001, "foreach chunk 1001"}, {0, -5, "foreach chunk -5"}} {
		s := testSettings()
		s.DistributedMapThreshold, s.ForeachChunk = tc.threshold, tc.chunk
		if _, err := statemachine.Compile(mustGraph(t, wide()), s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("threshold %d chunk %d: %v", tc.threshold, tc.chunk, err)
		}
	}
	// A chunk that overflows a child execution's history is warned about.
	s := testSettings()
	s.ForeachChunk = 1000
	r := compile(t, nested(4), s)
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "history events") {
		t.Errorf("warnings: %v", r.Warnings)
	}
}

// A flow whose worst-case history passes 25,000 events is warned about
// with the estimate and the fix: a nested foreach (1,000 items each) inside
// an inline top-level one; a chunk holding nested foreaches. Flat foreaches
// at the automatic sizes, and --distributed-map with small chunks, are not.
func TestHistoryWarning(t *testing.T) {
	history := func(r *statemachine.Result) string {
		for _, w := range r.Warnings {
			if strings.Contains(w, "25000 AWS allows per execution") {
				return w
			}
		}
		return ""
	}
	w := history(compile(t, nested(2), testSettings()))
	for _, want := range []string{"flow NestedFlow", "events in the execution", "events in a child execution of start (one chunk)", "--distributed-map", "keep nested foreaches"} {
		if !strings.Contains(w, want) {
			t.Errorf("nested: warning %q lacks %q", w, want)
		}
	}
	if w := history(compile(t, nested(1), testSettings())); w != "" {
		t.Errorf("one foreach level: %s", w)
	}
	s := testSettings()
	s.DistributedMap, s.ForeachChunk = true, 10
	if w := history(compile(t, nested(2), s)); w != "" {
		t.Errorf("--distributed-map, chunks of 10: %s", w)
	}
}

// A nested foreach compiled to one INLINE Map tells its task its limit
// (STEPFLOW_FOREACH_LIMIT=1000), so a wider one fails there with a clear
// message; a top-level foreach and --distributed-map ones have no limit.
func TestForeachLimitEnv(t *testing.T) {
	d := string(compile(t, nested(2), testSettings()).Compact)
	if n := strings.Count(d, `{"Name":"STEPFLOW_FOREACH_LIMIT","Value":"1000"}`); n != 2 {
		// level_1 twice: in the inline path and in its chunked copy.
		t.Errorf("nested foreach: %d STEPFLOW_FOREACH_LIMIT, want 2 (level_1, inline and chunked)", n)
	}
	s := testSettings()
	s.DistributedMap = true
	if d := string(compile(t, nested(2), s).Definition); strings.Contains(d, "STEPFLOW_FOREACH_LIMIT") {
		t.Error("--distributed-map: a chunked nested foreach has a limit")
	}
	if d := string(compile(t, nested(1), testSettings()).Definition); strings.Contains(d, "STEPFLOW_FOREACH_LIMIT") {
		t.Error("a top-level foreach has a limit")
	}
}
