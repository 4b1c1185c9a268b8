package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// What a run costs: AWS Step Functions Standard bills one state
// transition per state entered (in Map iterations, Parallel branches and
// a DISTRIBUTED Map's child executions too) and one per retry. The tests
// that run flows record each execution's transitions here and compare them
// with testdata/transitions.golden, so that a compiler change that adds
// (or removes) transitions shows in review. docs/state-machine.md, "What a
// run costs", explains the columns.

var update = flag.Bool("update", false, "rewrite testdata/transitions.golden with the transitions measured")

const transitionsGolden = "testdata/transitions.golden"

// transitionRow is one execution's cost.
type transitionRow struct {
	name        string
	tasks       int // distinct tasks (step, task id) run
	jobs        int // Batch jobs: attempts, retries and catch handlers included
	submits     int // SubmitJob calls (an array job is one)
	transitions int // states entered + retries
	plain       int // the same run in a plain one-Task-per-step design
}

// line is the row as the golden file has it.
func (r transitionRow) line() string {
	return fmt.Sprintf("%-34s %5d %5d %9d %11d %8d %8.2f %6d %8.2f", r.name, r.tasks, r.jobs, r.submits, r.transitions,
		r.transitions-r.submits, float64(r.transitions)/float64(r.tasks), r.plain, float64(r.plain)/float64(r.tasks))
}

const transitionsHeader = `# State transitions of one execution of each run on the emulated stack
# (aws-local-stepfunctions): states entered, Map iterations', Parallel
# branches' and DISTRIBUTED Map children's included, plus retries; what
# Step Functions Standard bills. Regenerate with
#   go test ./internal/aws/e2e -run 'TestExamples|TestChunkedForeach|TestWideForeach|TestExitHookOnStepFunctions|TestStepCache' -update
# and review the diff (docs/state-machine.md, "What a run costs").
#
# tasks: tasks run; jobs: Batch jobs (retries and catch handlers included,
# an array job's children each one); SubmitJob: SubmitJob calls (an array
# job is one); helpers: transitions that are not a SubmitJob; plain: the
# same run in a plain design, one Task state per job and one Parallel, Map
# or Choice per branch, foreach or switch task run.
#
# run                              tasks  jobs SubmitJob transitions  helpers per task  plain per task
`

var transitionsMu sync.Mutex

// transitionRecorder collects the rows of one test and, when the test and
// its subtests are done, compares them with the golden file (or, with
// -update, writes them into it).
type transitionRecorder struct {
	mu   sync.Mutex
	rows []transitionRow
}

// recordTransitions returns the recorder of t.
func recordTransitions(t *testing.T) *transitionRecorder {
	r := &transitionRecorder{}
	t.Cleanup(func() { r.check(t) })
	return r
}

// add records a succeeded execution e of the flow fp compiled to def under
// name. It checks the count against the jobs the emulator ran: every Batch
// job is one entry of a Batch Task state or one retry of it.
func (r *transitionRecorder) add(t *testing.T, name string, fp *flowPkg, def compiled, e *execution) {
	t.Helper()
	batch := batchStates(t, def)
	row := transitionRow{name: name, jobs: len(e.Jobs), submits: e.Submits}
	var batchTransitions int
	for st, n := range e.Entered {
		row.transitions += n
		if batch[st] {
			batchTransitions += n
		}
	}
	for st, n := range e.Retried {
		row.transitions += n
		if batch[st] {
			batchTransitions += n
		}
	}
	// Every SubmitJob is one entry of a Batch Task state or one retry of
	// it; every job is one submission, or a child of an array job.
	parents, plainJobs := map[string]bool{}, 0
	for _, j := range e.Jobs {
		if j.ArrayIndex != nil {
			parents[strings.SplitN(j.JobID, ":", 2)[0]] = true
		} else {
			plainJobs++
		}
	}
	if batchTransitions != e.Submits || plainJobs+len(parents) != e.Submits {
		t.Errorf("history: %d entries and retries of Batch Task states, %d SubmitJob calls, %d jobs not in an array and %d array jobs (entered %v, retried %v)",
			batchTransitions, e.Submits, plainJobs, len(parents), e.Entered, e.Retried)
	}
	kinds := stepKinds(t, fp)
	tasks := map[string]bool{}
	for _, j := range e.Jobs {
		key := j.Step + "/" + j.TaskID
		if k := kinds[j.Step]; !tasks[key] && (k == "branch" || k == "foreach" || k == "switch") {
			row.plain++ // its Parallel, Map or Choice
		}
		tasks[key] = true
	}
	row.tasks = len(tasks)
	row.plain += row.jobs
	t.Logf("transitions: %s", row.line())
	checkPlan(t, fp, def, e, kinds, row)
	r.mu.Lock()
	r.rows = append(r.rows, row)
	r.mu.Unlock()
}

// check compares the rows recorded with the golden file's, or writes them.
func (r *transitionRecorder) check(t *testing.T) {
	if t.Failed() || len(r.rows) == 0 {
		return
	}
	transitionsMu.Lock()
	defer transitionsMu.Unlock()
	golden := map[string]string{}
	b, err := os.ReadFile(transitionsGolden)
	if err != nil && !(*update && os.IsNotExist(err)) {
		t.Fatalf("%v (create it with -update)", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			golden[strings.Fields(l)[0]] = l
		}
	}
	if *update {
		for _, row := range r.rows {
			golden[row.name] = row.line()
		}
		var out strings.Builder
		out.WriteString(transitionsHeader)
		for _, name := range slices.Sorted(maps.Keys(golden)) {
			out.WriteString(golden[name] + "\n")
		}
		if err := os.WriteFile(transitionsGolden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	sort.Slice(r.rows, func(i, j int) bool { return r.rows[i].name < r.rows[j].name })
	for _, row := range r.rows {
		if want, ok := golden[row.name]; !ok {
			t.Errorf("%s: no row in %s; add it with -update:\n%s", row.name, transitionsGolden, row.line())
		} else if got := row.line(); got != want {
			t.Errorf("state transitions changed (review, then -update %s):\n got: %s\nwant: %s", transitionsGolden, got, want)
		}
	}
}

// batchStates returns the names of the definition's Batch Task states, at
// every depth.
func batchStates(t *testing.T, def compiled) map[string]bool {
	t.Helper()
	var d struct{ States map[string]json.RawMessage }
	if err := json.Unmarshal(def.definition, &d); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	var walk func(states map[string]json.RawMessage)
	walk = func(states map[string]json.RawMessage) {
		for name, raw := range states {
			var st struct {
				Type, Resource string
				Branches       []struct{ States map[string]json.RawMessage }
				ItemProcessor  *struct{ States map[string]json.RawMessage }
			}
			if err := json.Unmarshal(raw, &st); err != nil {
				t.Fatalf("state %s: %v", name, err)
			}
			if st.Type == "Task" && strings.HasSuffix(st.Resource, ":batch:submitJob.sync") {
				out[name] = true
			}
			for _, b := range st.Branches {
				walk(b.States)
			}
			if st.ItemProcessor != nil {
				walk(st.ItemProcessor.States)
			}
		}
	}
	walk(d.States)
	return out
}

// stepKinds returns the kind of each step of the flow ("branch",
// "foreach", "switch", "join", "end", or "->" for a linear step), read from
// `show` (the flow's graph, not its compiled form): in a plain design each
// task of a branch, foreach or switch adds one Parallel, Map or Choice
// state.
func stepKinds(t *testing.T, fp *flowPkg) map[string]string {
	t.Helper()
	cmd := exec.Command(fp.bin, "show")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s show: %v", filepath.Base(fp.bin), err)
	}
	steps := map[string]string{}
	in := false
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		switch {
		case l == "steps:":
			in = true
		case in && len(f) == 0:
			in = false
		case in && len(f) >= 2:
			steps[f[0]] = f[1]
		}
	}
	if len(steps) == 0 {
		t.Fatalf("%s show: no steps in\n%s", filepath.Base(fp.bin), out)
	}
	return steps
}
