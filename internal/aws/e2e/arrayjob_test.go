package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestArrayJobRedrive: a foreach over one step runs as one AWS Batch array
// job; when one child fails the array job fails (States.TaskFailed, its
// description counting the children by status) and the run with it.
// Redriving the failed state (what step-functions resume does: the same
// state, the same input, so the same array job submitted again) runs the
// step again for the failed child only: the others find their task
// succeeded and exit without running it.
func TestArrayJobRedrive(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, faultflow)
	def := w.compile(t, fp)
	const n, fail = 5, 3 // item 3 is task 2
	e := w.execute(t, def, map[string]any{"Parameters": map[string]string{"n": strconv.Itoa(n), "work-fail": strconv.Itoa(fail)}}, execOpts{})
	if e.Status != "FAILED" || e.Error != "States.TaskFailed" {
		t.Fatalf("execution %s: %s, want FAILED: States.TaskFailed", e.Status, e.Error)
	}
	var cause struct {
		Status          string
		JobName         string
		ArrayProperties struct {
			StatusSummary map[string]int
			Size          int
		}
	}
	if err := json.Unmarshal([]byte(e.Cause), &cause); err != nil || cause.Status != "FAILED" || cause.JobName != "FaultFlow-work" ||
		cause.ArrayProperties.Size != n || cause.ArrayProperties.StatusSummary["SUCCEEDED"] != n-1 || cause.ArrayProperties.StatusSummary["FAILED"] != 1 {
		t.Fatalf("cause is not the failed array job: %v %.1000s\n%s", err, e.Cause, e.failedJobs())
	}
	children := 0
	for _, j := range e.Jobs {
		if j.Step == "work" {
			if j.ArrayIndex == nil || j.BatchAttempt != 1 {
				t.Errorf("work job %+v is not a child's first attempt", j)
			}
			children++
		}
	}
	if children != n || e.Submits != 2 { // start, the array job
		t.Fatalf("%d work children, %d SubmitJob calls; want %d and 2", children, e.Submits, n)
	}
	cloud := w.store(fp)
	ctx := context.Background()
	a, err := cloud.Attempts().Latest(ctx, e.runID(), "work", "2")
	if err != nil || a.Attempt != 0 || a.Status != "failed" {
		t.Fatalf("work/2: %+v %v", a, err)
	}

	// The redrive: the failed state alone, with its input.
	var d struct{ States map[string]map[string]any }
	if err := json.Unmarshal(def.definition, &d); err != nil {
		t.Fatal(err)
	}
	work := d.States["work"]
	if _, ok := work["Parameters"].(map[string]any)["ArrayProperties"]; !ok {
		t.Fatalf("work is not an array job: %v", work)
	}
	delete(work, "Next")
	work["End"] = true
	redrive, err := json.Marshal(map[string]any{"StartAt": "work", "States": map[string]any{"work": work}})
	if err != nil {
		t.Fatal(err)
	}
	again := w.execute(t, compiled{definition: redrive, jobDefinitions: def.jobDefinitions},
		map[string]any{"RunId": e.runID(), "TaskId": "0", "Foreach": map[string]any{"Width": n}}, execOpts{})
	if again.Status != "SUCCEEDED" {
		t.Fatalf("redrive %s: %s: %.1000s\n%s", again.Status, again.Error, again.Cause, again.failedJobs())
	}
	for i := 0; i < n; i++ {
		id := strconv.Itoa(i)
		a, err := cloud.Attempts().Latest(ctx, e.runID(), "work", id)
		want := 0 // run once, in the first execution
		if i == fail-1 {
			want = 1 // failed, then run again by the redrive
		}
		if err != nil || a.Status != "succeeded" || a.Attempt != want {
			t.Errorf("work/%s after the redrive: attempt %d %s (%v); want attempt %d succeeded", id, a.Attempt, a.Status, err, want)
		}
	}

}

// TestArrayJobChildRetry: AWS Batch retries an array job's child on its
// own, up to the job's retry strategy (the step's retry count + 1): the
// child that fails its first attempt succeeds at its second
// (AWS_BATCH_JOB_ATTEMPT 2, the task's attempt 1), the others run once,
// and the run succeeds with the sum of every item's square.
func TestArrayJobChildRetry(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, faultflow)
	def := w.compile(t, fp)
	// faultflow's work has no retry: give its array job the retry
	// strategy a stepflow.Retry(1, 0) compiles to.
	var d map[string]any
	if err := json.Unmarshal(def.definition, &d); err != nil {
		t.Fatal(err)
	}
	d["States"].(map[string]any)["work"].(map[string]any)["Parameters"].(map[string]any)["RetryStrategy"] = map[string]any{"Attempts": 2}
	var err error
	if def.definition, err = json.Marshal(d); err != nil {
		t.Fatal(err)
	}
	const n, fail = 4, 2
	e := w.execute(t, def, map[string]any{"Parameters": map[string]string{"n": strconv.Itoa(n), "work-fail": strconv.Itoa(fail)}}, execOpts{})
	if e.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s: %.1000s\n%s", e.Status, e.Error, e.Cause, e.failedJobs())
	}
	attempts := map[string][]int{}
	for _, j := range e.Jobs {
		if j.Step == "work" {
			attempts[j.TaskID] = append(attempts[j.TaskID], j.BatchAttempt)
		}
	}
	for i := 0; i < n; i++ {
		want := "[1]"
		if i == fail-1 {
			want = "[1 2]"
		}
		if got := fmt.Sprint(attempts[strconv.Itoa(i)]); got != want {
			t.Errorf("work/%d ran Batch attempts %s, want %s", i, got, want)
		}
	}
	cloud := w.store(fp)
	a, err := cloud.Attempts().Latest(context.Background(), e.runID(), "work", strconv.Itoa(fail-1))
	if err != nil || a.Attempt != 1 || a.Status != "succeeded" {
		t.Errorf("work/%d: %+v %v; want attempt 1 succeeded", fail-1, a, err)
	}
	if total := readTasks(t, cloud, e.runID())["end/0"].artifacts["Total"]; total != float64(n*(n+1)*(2*n+1)/6) {
		t.Errorf("Total = %v", total)
	}
}

// TestArrayJobChunks: a foreach wider than one array job (--array-size 4,
// so chunks of 4) runs as one array job per chunk, from its offset: 10
// items as array jobs of 4, 4 and 2; 9 items as 4, 4 and a single job for
// the last item. Every item runs once as its ordinary task and the run
// leaves what a local run leaves.
func TestArrayJobChunks(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, faultflow)
	def := w.compile(t, fp, "--array-size=4")
	cost := recordTransitions(t)
	for _, c := range []struct {
		n     int
		sizes string // children per array job, in offset order; 0: a single job
	}{{10, "[4 4 2]"}, {9, "[4 4 0]"}} {
		t.Run("n="+strconv.Itoa(c.n), func(t *testing.T) {
			params := map[string]string{"n": strconv.Itoa(c.n)}
			e := w.execute(t, def, map[string]any{"Parameters": params}, execOpts{})
			if e.Status != "SUCCEEDED" {
				t.Fatalf("execution %s: %s: %.1000s\n%s", e.Status, e.Error, e.Cause, e.failedJobs())
			}
			cost.add(t, "faultflow/array-size=4,n="+strconv.Itoa(c.n), fp, def, e)
			children := map[string]int{} // array job -> children
			var order []string
			ids := map[string]int{}
			for _, j := range e.Jobs {
				if j.Step != "work" {
					continue
				}
				ids[j.TaskID]++
				parent := j.JobID
				if j.ArrayIndex != nil {
					parent = strings.SplitN(j.JobID, ":", 2)[0]
				}
				if _, ok := children[parent]; !ok {
					order = append(order, parent)
					children[parent] = 0
				}
				if j.ArrayIndex != nil {
					children[parent]++
				}
			}
			var sizes []int
			for _, p := range order {
				sizes = append(sizes, children[p])
			}
			sort.Sort(sort.Reverse(sort.IntSlice(sizes)))
			if got := fmt.Sprint(sizes); got != c.sizes {
				t.Errorf("work ran as %s, want %s", got, c.sizes)
			}
			for i := 0; i < c.n; i++ {
				if ids[strconv.Itoa(i)] != 1 {
					t.Errorf("work/%d ran %d times", i, ids[strconv.Itoa(i)])
				}
			}
			local, localRun := localRun(t, fp, flagArgs(params)...)
			sameArtifacts(t, local, localRun, w.store(fp), e.runID())
		})
	}
}

// TestArrayJobCatch: a foreach body with a retry and a catch runs as array
// jobs (--array-size 4: 5 items as an array job of 4 and a single job; 1
// item as the one-item job), and every job of it catches its failure
// itself: an item that fails every attempt runs AWS Batch attempts 1 and 2
// (the retry strategy) and its last attempt records the catch and exits 0;
// a flaky item is retried by Batch; no catch handler job runs. The run
// succeeds and leaves what a local run leaves: the same attempt records
// (failed attempts 0 and 1, the catch as attempt 2) and artifacts.
func TestArrayJobCatch(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, catchflow)
	def := w.compile(t, fp, "--array-size=4")
	for _, c := range []struct {
		n, flaky int
		fail     string
		batch    map[int]string // item -> its work job's Batch attempts
	}{
		{5, 3, "2,5", map[int]string{1: "[1]", 2: "[1 2]", 3: "[1 2]", 4: "[1]", 5: "[1 2]"}},
		{1, 0, "1", map[int]string{1: "[1 2]"}},
	} {
		t.Run("n="+strconv.Itoa(c.n), func(t *testing.T) {
			params := map[string]string{"n": strconv.Itoa(c.n), "fail": c.fail, "flaky": strconv.Itoa(c.flaky)}
			e := w.execute(t, def, map[string]any{"Parameters": params}, execOpts{})
			if e.Status != "SUCCEEDED" {
				t.Fatalf("execution %s: %s: %.1000s\n%s", e.Status, e.Error, e.Cause, e.failedJobs())
			}
			batch := map[string][]int{}
			for _, j := range e.Jobs {
				if j.Step != "work" {
					continue
				}
				if j.Caught != "" || strings.HasSuffix(j.State, ".Caught") {
					t.Errorf("a catch handler job ran: %+v", j)
				}
				batch[j.TaskID] = append(batch[j.TaskID], j.BatchAttempt)
			}
			for item, want := range c.batch {
				if got := fmt.Sprint(batch[strconv.Itoa(item-1)]); got != want {
					t.Errorf("work/%d (item %d) ran Batch attempts %s, want %s", item-1, item, got, want)
				}
			}
			cloud := w.store(fp)
			for _, s := range strings.Split(c.fail, ",") {
				item, _ := strconv.Atoi(s)
				a, err := cloud.Attempts().Latest(context.Background(), e.runID(), "work", strconv.Itoa(item-1))
				if err != nil || a.Attempt != 2 || a.Status != "succeeded" {
					t.Errorf("work/%d: %+v %v; want the catch recorded as attempt 2, succeeded", item-1, a, err)
				}
			}
			local, localRun := localRun(t, fp, flagArgs(params)...)
			sameArtifacts(t, local, localRun, cloud, e.runID())
		})
	}
}
