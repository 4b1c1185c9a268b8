package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/trigger"
)

// exampleCase is one example run both ways with the same parameters.
type exampleCase struct {
	name   string
	params map[string]string // given at trigger time and to the local run
	local  []string          // extra local run flags
}

// TestExamples runs every example in emulated Step Functions and locally
// and compares what every task left in the datastore.
func TestExamples(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	ents, err := os.ReadDir(filepath.Join(repoRoot, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	// Both runs of params read the real config, examples/params/settings.toml
	// (its default path, relative to the repository root).
	special := map[string]exampleCase{
		"params": {params: map[string]string{"name": "ada", "count": "5"}},
	}
	var cases []exampleCase
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(repoRoot, "examples", e.Name(), "main.go")); err != nil {
			continue
		}
		c := special[e.Name()]
		c.name = e.Name()
		cases = append(cases, c)
	}
	// Switch both ways: the default mode (fast) and slow.
	cases = append(cases, exampleCase{name: "switch", params: map[string]string{"mode": "slow"}})
	if len(cases) < 8 {
		t.Fatalf("found %d examples", len(cases))
	}
	cost := recordTransitions(t)
	for _, c := range cases {
		sub := c.name
		if len(c.params) > 0 {
			sub += "/" + strings.Join(flagArgs(c.params), "")
		}
		t.Run(sub, func(t *testing.T) {
			t.Parallel() // go test -parallel (GOMAXPROCS) at a time
			fp := w.build(t, module+"/examples/"+c.name)
			def := w.compile(t, fp)
			// An input without a Trigger block was started by a user;
			// the input of step-functions trigger names the user.
			var input any = map[string]any{}
			started := map[string]string{"type": "user"}
			if c.params != nil {
				started = trigger.User("ada")
				in, err := deploy.Input(c.params, started)
				if err != nil {
					t.Fatal(err)
				}
				input = json.RawMessage(in)
			}
			ls, lrun := localRun(t, fp, append(flagArgs(c.params), c.local...)...)
			cloud := w.store(fp)
			copyConfigs(t, def, ls, cloud)
			e := w.execute(t, def, input, execOpts{})
			if e.Status != "SUCCEEDED" {
				t.Fatalf("execution %s: %s: %.2000s\njobs: %+v", e.Status, e.Error, e.Cause, e.Jobs)
			}
			cost.add(t, "examples/"+sub, fp, def, e)
			sameArtifacts(t, ls, lrun, cloud, e.runID())
			ctx := context.Background()
			run, end, err := cloud.Runs().Get(ctx, e.runID())
			if err != nil {
				t.Fatal(err)
			}
			lr, _, err := ls.Runs().Get(ctx, lrun)
			if err != nil {
				t.Fatal(err)
			}
			if run.Runtime != "step-functions" || !equalMaps(run.Params, lr.Params) {
				t.Errorf("run record: runtime %q params %v; local params %v", run.Runtime, run.Params, lr.Params)
			}
			if !equalMaps(run.Trigger, started) {
				t.Errorf("run record: trigger %v, want %v", run.Trigger, started)
			}
			if !equalMaps(run.Configs, lr.Configs) {
				t.Errorf("run record: configs %v; local configs %v", run.Configs, lr.Configs)
			}
			if !slices.Contains(run.Tags, "production:"+productionToken) {
				t.Errorf("run record: tags %v lack production:%s", run.Tags, productionToken)
			}
			// The end task recorded the run's end, after its attempt.
			endTask, err := cloud.Attempts().Latest(ctx, e.runID(), "end", "0")
			if err != nil || end == nil || end.Status != datastore.StatusSucceeded || end.End.Before(endTask.End.Add(-time.Second)) {
				t.Errorf("end record %+v (end task %+v, %v)", end, endTask, err)
			}
			// Every job saved its output with its attempt.
			for _, j := range e.Jobs {
				if j.Caught != "" {
					continue
				}
				a, err := cloud.Attempts().Get(ctx, e.runID(), j.Step, j.TaskID, atoi(t, j.Attempt))
				if err != nil {
					t.Errorf("job %s (%s/%s attempt %s): %v", j.JobID, j.Step, j.TaskID, j.Attempt, err)
					continue
				}
				if a.Env["AWS_BATCH_JOB_ID"] != j.JobID {
					t.Errorf("%s/%s: attempt records job %q, ran as %s", j.Step, j.TaskID, a.Env["AWS_BATCH_JOB_ID"], j.JobID)
				}
			}
			if c.name == "params" {
				checkParams(t, cloud, e)
			}
			if c.name == "foreach" {
				// The end step's card is saved in the cloud as locally: the
				// same content, so the same content address.
				la, lerr := ls.Attempts().Latest(ctx, lrun, "end", "0")
				ca, cerr := cloud.Attempts().Latest(ctx, e.runID(), "end", "0")
				if lerr != nil || cerr != nil || la.Card == "" || ca.Card != la.Card {
					t.Errorf("end card: local %q (%v), cloud %q (%v)", la.Card, lerr, ca.Card, cerr)
				} else if _, err := cloud.Blobs().Get(ctx, ca.Card); err != nil {
					t.Errorf("end card in the cloud datastore: %v", err)
				}
			}
		})
	}
}

// checkParams: the params example prints its summary (stdout saved from
// the Batch job) built from its config, fails compute once (retried) and
// catches risky.
func checkParams(t *testing.T, cloud *datastore.Store, e *execution) {
	ctx := context.Background()
	rd, err := cloud.Logs().Open(ctx, e.runID(), "end", "0", 0, "stdout")
	if err != nil {
		t.Fatalf("stdout of end: %v", err)
	}
	b, _ := io.ReadAll(rd)
	rd.Close()
	// The config (prefix ">> ", scale 4) reached the cloud run: 5*4*0.5 + 2*5.
	if !strings.Contains(string(b), ">> hello, ada | score 20 | wait 90s") {
		t.Errorf("stdout of end: %q", b)
	}
	first, err := cloud.Attempts().Get(ctx, e.runID(), "compute", "0", 0)
	if err != nil || first.Status != datastore.StatusFailed || !strings.Contains(first.Error, "transient failure") {
		t.Errorf("compute attempt 0: %+v %v", first, err)
	}
	caught, err := cloud.Attempts().Get(ctx, e.runID(), "risky", "0", 1)
	if err != nil || caught.Status != datastore.StatusSucceeded {
		t.Errorf("risky catch attempt 1: %+v %v", caught, err)
	}
}

// copyConfigs does what step-functions create does besides compiling
// (the harness compiles with --only-json): it puts the blobs of the
// configs the definition names (STEPFLOW_CONFIGS) into the cloud
// datastore. It copies them from the local run, which froze the same
// files: a hash that the local run did not store means the two encode
// the config differently, and fails the test.
func copyConfigs(t *testing.T, def compiled, local, cloud *datastore.Store) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(def.definition, &doc); err != nil {
		t.Fatal(err)
	}
	var values []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["Name"] == "STEPFLOW_CONFIGS" {
				values = append(values, x["Value"].(string))
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	ctx := context.Background()
	for _, v := range values {
		var hashes map[string]string
		if err := json.Unmarshal([]byte(v), &hashes); err != nil {
			t.Fatalf("STEPFLOW_CONFIGS %q: %v", v, err)
		}
		for name, h := range hashes {
			data, err := local.Blobs().Get(ctx, h)
			if err != nil {
				t.Fatalf("config %s: the definition names blob %s, which the local run did not store: %v", name, h, err)
			}
			if _, err := cloud.Blobs().Put(ctx, data); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// flagArgs are the run flags of params, in name order.
func flagArgs(params map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		out = append(out, "--"+k, params[k])
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func atoi(t *testing.T, s string) int {
	var n int
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatalf("attempt %q: %v", s, err)
	}
	return n
}

const faultflow = module + "/internal/runner/testdata/faultflow"

// catchflow is a foreach whose body has a retry and a catch.
const catchflow = module + "/internal/aws/e2e/testdata/catchflow"

// TestRetry: a step that fails once is retried after the definition's
// interval (1 s: Retry(3, 200ms) rounded up) and sees attempt 1.
func TestRetry(t *testing.T) {
	t.Parallel() // its 1 s retry delay overlaps with other tests
	w := getWorld(t)
	fp := w.build(t, faultflow)
	params := map[string]string{"n": "2", "fail-till": "1"}
	e := w.execute(t, w.compile(t, fp), map[string]any{"Parameters": params}, execOpts{realRetryDelays: true})
	if e.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s: %.2000s", e.Status, e.Error, e.Cause)
	}
	var flaky []job
	for _, j := range e.Jobs {
		if j.Step == "flaky" {
			flaky = append(flaky, j)
		}
	}
	if len(flaky) != 2 || flaky[0].Attempt != "0" || flaky[1].Attempt != "1" {
		t.Fatalf("flaky jobs: %+v", flaky)
	}
	if *flaky[0].ExitCode != 1 || *flaky[1].ExitCode != 0 {
		t.Errorf("flaky exit codes %d, %d", *flaky[0].ExitCode, *flaky[1].ExitCode)
	}
	delay := time.Duration(flaky[1].QueuedAt-flaky[0].StoppedAt) * time.Millisecond
	t.Logf("retry delay %v", delay)
	// The upper bound is loose: on a loaded machine the emulator (one Node.js
	// event loop) may take seconds to notice the exit and queue the retry.
	if delay < time.Second || delay > 30*time.Second {
		t.Errorf("flaky was retried after %v, want about 1s (IntervalSeconds 1)", delay)
	}
	cloud := w.store(fp)
	ctx := context.Background()
	a0, err := cloud.Attempts().Get(ctx, e.runID(), "flaky", "0", 0)
	if err != nil || a0.Status != datastore.StatusFailed || !strings.Contains(a0.Error, "flaky failure") {
		t.Errorf("flaky attempt 0: %+v %v", a0, err)
	}
	ls, lrun := localRun(t, fp, flagArgs(params)...)
	sameArtifacts(t, ls, lrun, cloud, e.runID()) // Attempt = 1 at the end
	end := readTasks(t, cloud, e.runID())["end/0"]
	if end.artifacts["Attempt"] != 1.0 {
		t.Errorf("end: Attempt = %v, want 1", end.artifacts["Attempt"])
	}
}

// TestCrashCaught: a step that dies (os.Exit(3)) leaves a failed attempt
// record (written by the supervising step command), and the catch handler
// records that record's message, not just States.TaskFailed.
func TestCrashCaught(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, faultflow)
	params := map[string]string{"n": "1", "risky": "exit"}
	e := w.execute(t, w.compile(t, fp), map[string]any{"Parameters": params}, execOpts{})
	if e.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s: %.2000s", e.Status, e.Error, e.Cause)
	}
	var caughtJob *job
	for i, j := range e.Jobs {
		if j.Step == "risky" && j.Caught != "" {
			caughtJob = &e.Jobs[i]
		}
	}
	if caughtJob == nil || caughtJob.Caught != "States.TaskFailed" || caughtJob.Attempt != "1" {
		t.Fatalf("no catch job with STEPFLOW_CAUGHT=States.TaskFailed, attempt 1: %+v", e.Jobs)
	}
	cloud := w.store(fp)
	ctx := context.Background()
	a0, err := cloud.Attempts().Get(ctx, e.runID(), "risky", "0", 0)
	if err != nil || a0.Status != datastore.StatusFailed || a0.ExitCode != 3 || !strings.Contains(a0.Error, "exited with status 3") {
		t.Fatalf("risky attempt 0: %+v %v", a0, err)
	}
	caught := readTasks(t, cloud, e.runID())["end/0"].artifacts["Caught"].(map[string]any)
	if caught["Error"] != a0.Error || caught["Step"] != "risky" || caught["Attempts"] != 1.0 {
		t.Errorf("end: Caught = %v, want the message of attempt 0 (%q)", caught, a0.Error)
	}
	ls, lrun := localRun(t, fp, flagArgs(params)...)
	sameArtifacts(t, ls, lrun, cloud, e.runID())
}

// TestFailsForGood: a step without retry or catch fails the execution,
// and the datastore tells which task failed and why, with its output.
func TestFailsForGood(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, faultflow)
	e := w.execute(t, w.compile(t, fp), map[string]any{"Parameters": map[string]string{"n": "1", "fragile": "fail"}}, execOpts{})
	if e.Status != "FAILED" || e.Error != "States.TaskFailed" {
		t.Fatalf("execution %s: %s", e.Status, e.Error)
	}
	var cause struct {
		Status    string
		JobName   string
		Container struct{ ExitCode int }
	}
	if err := json.Unmarshal([]byte(e.Cause), &cause); err != nil || cause.Status != "FAILED" || cause.JobName != "FaultFlow-fragile" || cause.Container.ExitCode != 1 {
		t.Errorf("cause is not the failed Batch job: %v %.500s", err, e.Cause)
	}
	cloud := w.store(fp)
	ctx := context.Background()
	a, ok, err := cloud.Attempts().Succeeded(ctx, e.runID(), "fragile", "0")
	if err != nil || ok {
		t.Fatalf("fragile: %+v ok=%v %v", a, ok, err)
	}
	a, err = cloud.Attempts().Latest(ctx, e.runID(), "fragile", "0")
	if err != nil || a.Status != datastore.StatusFailed || a.Error != "step fragile: fragile failure" {
		t.Errorf("fragile: %+v %v", a, err)
	}
	rd, err := cloud.Logs().Open(ctx, e.runID(), "fragile", "0", 0, "stderr")
	if err != nil {
		t.Fatalf("stderr of fragile: %v", err)
	}
	b, _ := io.ReadAll(rd)
	rd.Close()
	if !strings.Contains(string(b), "fragile failure") {
		t.Errorf("stderr of fragile: %q", b)
	}
	if _, err := cloud.Attempts().Latest(ctx, e.runID(), "end", "0"); !datastore.IsNotFound(err) {
		t.Errorf("end ran after the failure: %v", err)
	}
	// A failed cloud run has no end record: the execution's status is the
	// authority (step-functions status, list-runs).
	if _, end, err := cloud.Runs().Get(ctx, e.runID()); err != nil || end != nil {
		t.Errorf("failed run: end record %+v, %v; want none", end, err)
	}
}

// TestWideForeach: a wide foreach; the width travels through DynamoDB (the
// item checked here), every task runs once, the join sees all of them.
// 40 items are wide for everything the run does with them: 5 rounds of
// the Map's MaxConcurrency (the harness compiles with --max-workers 8) and
// 3 of a join's 16 concurrent lookups of its inputs (internal/task). The chunked
// DISTRIBUTED Map of wider foreaches is TestChunkedForeach's.
func TestWideForeach(t *testing.T) {
	t.Parallel() // 40 jobs, three at a time: overlaps with other tests
	w := getWorld(t)
	fp := w.build(t, faultflow)
	const n = 40
	start := time.Now()
	def := w.compile(t, fp)
	e := w.execute(t, def, map[string]any{"Parameters": map[string]string{"n": strconv.Itoa(n)}}, execOpts{})
	if e.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s: %.2000s\n%s", e.Status, e.Error, e.Cause, e.failedJobs())
	}
	recordTransitions(t).add(t, "faultflow/n="+strconv.Itoa(n), fp, def, e)
	cloud := w.store(fp)
	ctx := context.Background()
	tasks, err := cloud.Attempts().Tasks(ctx, e.runID(), "work")
	if err != nil || len(tasks) != n {
		t.Fatalf("work has %d tasks (%v), want %d", len(tasks), err, n)
	}
	join, _, err := cloud.Attempts().Succeeded(ctx, e.runID(), "join", "0")
	if err != nil || len(join.Inputs) != n {
		t.Fatalf("join inputs: %d %v", len(join.Inputs), err)
	}
	total := readTasks(t, cloud, e.runID())["end/0"].artifacts["Total"]
	if want := float64(n * (n + 1) * (2*n + 1) / 6); total != want {
		t.Errorf("Total = %v, want %v", total, want)
	}
	item, err := w.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"pathspec": &ddbtypes.AttributeValueMemberS{Value: e.runID() + "/start/0"}}})
	if err != nil {
		t.Fatal(err)
	}
	width, _ := item.Item["width"].(*ddbtypes.AttributeValueMemberN)
	ttl, _ := item.Item["ttl"].(*ddbtypes.AttributeValueMemberN)
	if width == nil || width.Value != strconv.Itoa(n) || ttl == nil {
		t.Fatalf("bookkeeping item: %v", item.Item)
	}
	var exp int64
	json.Unmarshal([]byte(ttl.Value), &exp)
	// The compiler's lifetime: no workflow timeout, so 365 days + 15.
	if life := time.Until(time.Unix(exp, 0)); life < 379*24*time.Hour || life > 381*24*time.Hour {
		t.Errorf("ttl %s is %v from now", ttl.Value, life)
	}
	t.Logf("%d tasks in %v", len(e.Jobs), time.Since(start).Round(time.Millisecond))
}

// TestChunkedForeach: with a threshold of 3 and chunks of 4, a foreach of
// 10 items runs chunked (3 chunks in a DISTRIBUTED Map, which the emulator
// runs inline; the last chunk skips indices 10 and 11) and one of 3 runs
// inline: each leaves what a local run leaves.
func TestChunkedForeach(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, faultflow)
	def := w.compile(t, fp, "STEPFLOW_DISTRIBUTED_MAP_THRESHOLD=3", "--foreach-chunk=4", "--no-array-jobs")
	var compact bytes.Buffer
	if err := json.Compact(&compact, def.definition); err != nil {
		t.Fatal(err)
	}
	var d struct{ States map[string]json.RawMessage }
	if err := json.Unmarshal(compact.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d.States["start.Mode"]), `"NumericGreaterThan":3`) || !strings.Contains(string(d.States["start.Chunks"]), "-1), 4)") {
		t.Fatalf("not compiled with threshold 3 and chunk 4: %s %s", d.States["start.Mode"], d.States["start.Chunks"])
	}
	cost := recordTransitions(t)
	for _, c := range []struct {
		n     string
		state string // the Task state of the work items
	}{{"10", "work.Dist"}, {"3", "work"}, {"0", ""}} {
		t.Run("n="+c.n, func(t *testing.T) {
			params := map[string]string{"n": c.n}
			e := w.execute(t, def, map[string]any{"Parameters": params}, execOpts{})
			if e.Status != "SUCCEEDED" {
				t.Fatalf("execution %s: %s: %.2000s", e.Status, e.Error, e.Cause)
			}
			cost.add(t, "faultflow/threshold=3,chunk=4,n="+c.n, fp, def, e)
			var ids []string
			for _, j := range e.Jobs {
				if j.Step == "work" {
					ids = append(ids, j.TaskID)
					if j.State != c.state {
						t.Errorf("work/%s ran in state %s, want %s", j.TaskID, j.State, c.state)
					}
				}
			}
			slices.Sort(ids)
			var want []string
			n := atoi(t, c.n)
			for i := range n {
				want = append(want, strconv.Itoa(i))
			}
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Errorf("work task ids %v, want %v", ids, want)
			}
			ls, lrun := localRun(t, fp, flagArgs(params)...)
			sameArtifacts(t, ls, lrun, w.store(fp), e.runID())
			var out map[string]any
			// The Maps' results never enter the payload.
			if err := json.Unmarshal(e.Output, &out); err != nil || len(out) != 2 || out["RunId"] != e.runID() || out["TaskId"] != "0" {
				t.Errorf("execution output %s (%v), want {RunId, TaskId}", e.Output, err)
			}
		})
	}
}

// TestShapes: a switch inside a foreach whose cases meet at the foreach's
// join, a switch inside a branch whose cases meet at the branch's join, and
// a branch nested in a branch, on Step Functions as locally.
func TestShapes(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, module+"/internal/runner/testdata/shapesflow")
	e := w.execute(t, w.compile(t, fp), map[string]any{}, execOpts{})
	if e.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s: %.2000s", e.Status, e.Error, e.Cause)
	}
	ls, lrun := localRun(t, fp)
	cloud := w.store(fp)
	sameArtifacts(t, ls, lrun, cloud, e.runID())
	end := readTasks(t, cloud, e.runID())["end/0"]
	if want := "go,flow,AWS!,step | left-down | right | r1+r2"; end.artifacts["Report"] != want {
		t.Errorf("Report = %v, want %q", end.artifacts["Report"], want)
	}
}
