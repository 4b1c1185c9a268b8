package e2e_test

import (
	"context"
	"encoding/json"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
)

// The plan is exact where it can be (docs/state-machine.md, "What a run
// costs"): for every run the tests record (transitions_test.go), the
// plan's transition and job counts at the run's actual widths and switch
// cases equal what the emulator counted. The widths and cases are read
// back from the run's DynamoDB bookkeeping items, as the state machine
// read them. The plan assumes every task succeeds at its first attempt:
// its jobs are the run's tasks, and each retry and catch handler of a Task
// state is one more SubmitJob call and one more transition.

// plannedRun is the part of step-functions plan --json this test reads.
type plannedRun struct {
	Transitions, Jobs, SubmitJobs int
	Steps                         []struct {
		Step  string
		Tasks int
	}
}

// checkPlan runs step-functions plan for the run e at its actual widths
// and compares its counts with row, the emulator's.
func checkPlan(t *testing.T, fp *flowPkg, def compiled, e *execution, kinds map[string]string, row transitionRow) {
	t.Helper()
	w := getWorld(t)
	ids := map[string][]string{} // step -> task ids run
	tasks := map[string]int{}
	seen := map[string]bool{}
	for _, j := range e.Jobs {
		step := j.Step
		if step == "" { // the exit hook's job: no step
			step = statemachine.HookScope
		}
		if key := step + "/" + j.TaskID; !seen[key] {
			seen[key] = true
			ids[step] = append(ids[step], j.TaskID)
			tasks[step]++
		}
	}
	args := append([]string{"step-functions", "plan", "--json"}, def.flags...)
	// A run whose cached steps were found in the step cache: the plan
	// assumes hits.
	for st := range e.Entered {
		if strings.HasSuffix(st, ".Hit") {
			args = append(args, "--cache-hits")
			break
		}
	}
	for _, step := range slices.Sorted(maps.Keys(kinds)) {
		kind := kinds[step]
		if kind != "foreach" && kind != "switch" {
			continue
		}
		values := map[string]bool{}
		for _, id := range ids[step] {
			item, err := w.ddb.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
				Key: map[string]ddbtypes.AttributeValue{"pathspec": &ddbtypes.AttributeValueMemberS{Value: e.runID() + "/" + step + "/" + id}}})
			if err != nil {
				t.Fatalf("bookkeeping item of %s/%s: %v", step, id, err)
			}
			switch v := item.Item[map[string]string{"foreach": "width", "switch": "target"}[kind]].(type) {
			case *ddbtypes.AttributeValueMemberN:
				values[v.Value] = true
			case *ddbtypes.AttributeValueMemberS:
				values[v.Value] = true
			default:
				t.Fatalf("bookkeeping item of %s/%s: no %s width or target: %v", step, id, kind, item.Item)
			}
		}
		switch len(values) {
		case 0: // not reached (an untaken switch case): the plan's default is as good
		case 1:
			flag := "--width"
			if kind == "switch" {
				flag = "--switch"
			}
			args = append(args, flag, step+"="+slices.Collect(maps.Keys(values))[0])
		default:
			t.Errorf("%s: the tasks of %s %s differ (%v): a plan assumes one value per step, so this run cannot be compared", row.name, kind, step, values)
			return
		}
	}
	cmd := exec.Command(fp.bin, args...)
	cmd.Dir = repoRoot
	cmd.Env = def.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", fp.flow, strings.Join(args, " "), err, stderrOf(err))
	}
	var p plannedRun
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	// Each retry and catch handler of a Task state is one more SubmitJob
	// and one more transition; a retry of an array job's child (AWS
	// Batch's retry strategy) is one more job only.
	extra := e.Submits - p.SubmitJobs
	t.Logf("plan: %s: %s: %d transitions, %d jobs, %d SubmitJob calls (+%d retries and catch handlers of Task states)", row.name, strings.Join(args[3:], " "), p.Transitions, p.Jobs, p.SubmitJobs, extra)
	if extra < 0 || p.Transitions+extra != row.transitions || p.Jobs != row.tasks {
		t.Errorf("%s: the plan (%s) says %d transitions, %d jobs and %d SubmitJob calls; the emulator counted %d transitions, %d SubmitJob calls and %d tasks (%d jobs with retries)",
			row.name, strings.Join(args[3:], " "), p.Transitions, p.Jobs, p.SubmitJobs, row.transitions, e.Submits, row.tasks, row.jobs)
	}
	for _, st := range p.Steps {
		if st.Step != "(run)" && st.Tasks != tasks[st.Step] {
			t.Errorf("%s: the plan runs %d tasks of %s, the emulator ran %d", row.name, st.Tasks, st.Step, tasks[st.Step])
		}
	}
}
