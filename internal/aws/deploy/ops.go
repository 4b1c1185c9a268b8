package deploy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	batchsdk "github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/trigger"
	"github.com/stepflow/stepflow/internal/usage"
)

// MaxInput is the largest execution input Step Functions accepts.
const MaxInput = 256 << 10

// RedriveWindow is how long after its end Step Functions can redrive an
// execution.
const RedriveWindow = 14 * 24 * time.Hour

// Ops operates the deployment of one flow.
type Ops struct {
	C       *Clients
	Machine string // state machine name
	Flow    string
	Scope   string // statemachine.MachineScope of the flow and settings
	Prog    string // the flow binary's name, for suggested commands
}

// deployed returns the deployment, or a message saying to deploy first.
func (o *Ops) deployed(ctx context.Context) (*Deployment, error) {
	d, err := Find(ctx, o.C, o.Machine)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, userf("flow %s is not deployed: no state machine %s in region %s; deploy it with '%s step-functions create'", o.Flow, o.Machine, o.C.Region, o.Prog)
	}
	return d, nil
}

// execArn is the ARN of the execution of run id on the state machine.
func execArn(machineArn, runID string) string {
	return strings.Replace(machineArn, ":stateMachine:", ":execution:", 1) + ":" + strings.TrimPrefix(runID, statemachine.RunPrefix)
}

// CheckRunID refuses a run id that is not a Step Functions run.
func CheckRunID(id string) error {
	if !statemachine.IsRunID(id) {
		return userf("run id %q is not a Step Functions run: their ids begin with %q (list them with 'step-functions list-runs')", id, statemachine.RunPrefix)
	}
	return nil
}

// Input is the execution input of a run with parameters params (name ->
// value in the format the run flags take) started as started says (its
// Trigger block, trigger.User), as docs/state-machine.md says.
func Input(params, started map[string]string) (string, error) {
	if params == nil {
		params = map[string]string{}
	}
	data, err := json.Marshal(map[string]any{"Parameters": params, "Trigger": started})
	if err != nil {
		return "", err
	}
	if len(data) > MaxInput {
		return "", userf("the parameters take %d bytes of execution input, over the AWS Step Functions limit of %d; pass large values in a file on S3 and give its URL", len(data), MaxInput)
	}
	return string(data), nil
}

// Trigger starts a run with the parameters, started by user, and returns
// its run id. The
// execution is named before StartExecution (NewRunName), so the call is
// idempotent (Step Functions answers a repeated StartExecution of a
// running standard execution with the same name and input as the first
// one; the SDK retries a lost answer) and the run id is known even when
// the call fails: it is returned with the error whenever the run may have
// started.
func (o *Ops) Trigger(ctx context.Context, params map[string]string, user string) (string, error) {
	return o.TriggerNamed(ctx, params, user, "")
}

// TriggerNamed is Trigger with the execution named name (its run id is
// sfn-<name>), which CheckRunName must pass; "": a new random name.
func (o *Ops) TriggerNamed(ctx context.Context, params map[string]string, user, name string) (string, error) {
	input, err := Input(params, trigger.User(user))
	if err != nil {
		return "", err
	}
	return o.start(ctx, input, name)
}

// start starts a run of the deployment with the execution input input,
// named name ("": NewRunName), and returns its run id (see Trigger).
func (o *Ops) start(ctx context.Context, input, name string) (string, error) {
	if name != "" {
		if err := CheckRunName(name); err != nil {
			return "", err
		}
	}
	d, err := o.deployed(ctx)
	if err != nil {
		return "", err
	}
	if name == "" {
		if name, err = NewRunName(); err != nil {
			return "", err
		}
	}
	id := statemachine.RunPrefix + name
	_, err = o.C.SFN.StartExecution(ctx, &sfnsdk.StartExecutionInput{StateMachineArn: aws.String(d.Arn), Name: aws.String(name), Input: aws.String(input)})
	if errCode(err) == "ExecutionAlreadyExists" {
		return "", userf("run %s of %s exists already (Step Functions keeps an execution's name for 90 days after it ends, and refuses the same name with other parameters); see it with '%s step-functions status %s', or choose another run name",
			id, o.Machine, o.Prog, id)
	}
	if err != nil {
		err = awsErr("start run "+id+" of "+o.Machine, err)
		if usage.Is(err) { // refused (access denied): it did not start
			return "", err
		}
		return id, err
	}
	return id, nil
}

// NewRunName is the name of a new execution: a random (version 4) UUID,
// the form Step Functions gives an execution started without a name.
func NewRunName() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("name the run: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// Run is one execution.
type Run struct {
	ID          string
	Status      string
	Start, Stop time.Time
	// Trigger is the Trigger block of the execution's input: what started
	// the run (ListRuns with startedBy).
	Trigger map[string]string
}

// startedBy fills in the Trigger of each run of the state machine
// machineArn from its execution's input (DescribeExecution, a few at a
// time). An input without one (a run started before Stepflow wrote it, or
// by another tool) leaves it nil.
func (o *Ops) startedBy(ctx context.Context, machineArn string, runs []Run) error {
	const parallel = 8
	sem := make(chan struct{}, parallel)
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		sem <- struct{}{}
		go func(r *Run, err *error) {
			defer func() { <-sem; wg.Done() }()
			out, e := o.C.SFN.DescribeExecution(ctx, &sfnsdk.DescribeExecutionInput{ExecutionArn: aws.String(execArn(machineArn, r.ID))})
			if e != nil {
				*err = awsErr("describe run "+r.ID, e)
				return
			}
			var in struct {
				Trigger map[string]string
			}
			if json.Unmarshal([]byte(aws.ToString(out.Input)), &in) == nil {
				r.Trigger = in.Trigger
			}
		}(&runs[i], &errs[i])
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ListRuns lists the runs, newest first, with status (RUNNING, SUCCEEDED,
// FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE) or all when status is "".
// With startedBy it also reads what started each run (one
// DescribeExecution per run).
func (o *Ops) ListRuns(ctx context.Context, status string, startedBy bool) ([]Run, error) {
	d, err := o.deployed(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := listRuns(ctx, o.C, d.Arn, status, 0)
	if err != nil || !startedBy {
		return runs, err
	}
	return runs, o.startedBy(ctx, d.Arn, runs)
}

func listRuns(ctx context.Context, c *Clients, machineArn, status string, limit int) ([]Run, error) {
	in := &sfnsdk.ListExecutionsInput{StateMachineArn: aws.String(machineArn), StatusFilter: sfntypes.ExecutionStatus(status)}
	if limit > 0 {
		in.MaxResults = int32(limit)
	}
	var runs []Run
	p := sfnsdk.NewListExecutionsPaginator(c.SFN, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, awsErr("list the runs", err)
		}
		for _, e := range page.Executions {
			runs = append(runs, Run{ID: statemachine.RunPrefix + aws.ToString(e.Name), Status: string(e.Status), Start: aws.ToTime(e.StartDate), Stop: aws.ToTime(e.StopDate)})
		}
		if limit > 0 && len(runs) >= limit {
			break
		}
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Start.After(runs[j].Start) })
	return runs, nil
}

// execution describes a run, with a clear message for an unknown one.
func (o *Ops) execution(ctx context.Context, d *Deployment, runID string) (*sfnsdk.DescribeExecutionOutput, error) {
	if err := CheckRunID(runID); err != nil {
		return nil, err
	}
	out, err := o.C.SFN.DescribeExecution(ctx, &sfnsdk.DescribeExecutionInput{ExecutionArn: aws.String(execArn(d.Arn, runID))})
	if errCode(err) == "ExecutionDoesNotExist" {
		return nil, userf("run %s does not exist on state machine %s; list the runs with '%s step-functions list-runs'", runID, o.Machine, o.Prog)
	}
	if err != nil {
		return nil, awsErr("describe run "+runID, err)
	}
	return out, nil
}

// StepProgress counts a step's Task state events of one execution.
type StepProgress struct {
	Step      string
	Started   int // Task state entered
	Succeeded int
	Failed    int // failed attempts (retried or not)
	Running   int // entered and not ended
}

// countChildren counts the children of an array job that ended (its
// Task state succeeded, or failed), from the job description the .sync
// integration returns (ArrayProperties {Size, StatusSummary}; docs/
// state-machine.md, "Array jobs"): each child is a task. The Task event
// was counted as one task already. Not an array job: nothing.
func (p *StepProgress) countChildren(description string, succeeded bool) {
	var d struct {
		ArrayProperties struct {
			Size          int
			StatusSummary map[string]int
		}
	}
	if json.Unmarshal([]byte(description), &d) != nil || d.ArrayProperties.Size == 0 {
		return
	}
	sum := d.ArrayProperties.StatusSummary
	p.Started += d.ArrayProperties.Size - 1
	if succeeded {
		p.Succeeded += d.ArrayProperties.Size - 1
		return
	}
	p.Succeeded += sum["SUCCEEDED"]
	p.Failed += sum["FAILED"] - 1
}

// openJob is the Batch job of a Task state that has not ended, and the
// step it counts for.
type openJob struct {
	p     *StepProgress
	jobID string
}

// countRunningChildren counts the children of the array jobs of running
// Task states (docs/state-machine.md, "Array jobs"), whose progress is in
// no history event until the job ends: DescribeJobs on each,
// up to 100 a call, and from an array job's ArrayProperties.StatusSummary
// its children each as a task, started, succeeded, failed for good, or
// running (any other status: submitted, pending, runnable, starting or
// running). The Task state was counted as one running task already. A job
// that has ended meanwhile (its Task's end is in the next history read) is
// left as counted.
func (o *Ops) countRunningChildren(ctx context.Context, open map[int64]openJob) error {
	byJob := map[string][]*StepProgress{}
	var ids []string
	for _, j := range open {
		if byJob[j.jobID] == nil {
			ids = append(ids, j.jobID)
		}
		byJob[j.jobID] = append(byJob[j.jobID], j.p)
	}
	sort.Strings(ids)
	for len(ids) > 0 {
		n := min(len(ids), 100) // DescribeJobs' most
		out, err := o.C.Batch.DescribeJobs(ctx, &batchsdk.DescribeJobsInput{Jobs: ids[:n]})
		if err != nil {
			return awsErr("describe the run's running AWS Batch jobs", err)
		}
		ids = ids[n:]
		for _, j := range out.Jobs {
			a := j.ArrayProperties
			if a == nil || aws.ToInt32(a.Size) == 0 || j.Status == batchtypes.JobStatusSucceeded || j.Status == batchtypes.JobStatusFailed {
				continue
			}
			size, ok, failed := int(aws.ToInt32(a.Size)), int(a.StatusSummary["SUCCEEDED"]), int(a.StatusSummary["FAILED"])
			for _, p := range byJob[aws.ToString(j.JobId)] {
				p.Started += size - 1
				p.Succeeded += ok
				p.Failed += failed
				p.Running += size - ok - failed - 1
			}
		}
	}
	return nil
}

// RunStatus is a run's state from the execution history.
type RunStatus struct {
	Run
	Redrives int
	Steps    []*StepProgress // in the order first seen
	Error    string          // the failure, if any
}

// Status reads a run's state from its execution history. steps are the
// flow's step names: other states (helpers) are not counted.
func (o *Ops) Status(ctx context.Context, runID string, steps []string) (*RunStatus, error) {
	d, err := o.deployed(ctx)
	if err != nil {
		return nil, err
	}
	ex, err := o.execution(ctx, d, runID)
	if err != nil {
		return nil, err
	}
	st := &RunStatus{Run: Run{ID: runID, Status: string(ex.Status), Start: aws.ToTime(ex.StartDate), Stop: aws.ToTime(ex.StopDate)},
		Redrives: int(aws.ToInt32(ex.RedriveCount))}
	if ex.Error != nil {
		st.Error = aws.ToString(ex.Error) + ": " + aws.ToString(ex.Cause)
	}
	isStep := map[string]bool{}
	for _, s := range steps {
		isStep[s] = true
	}
	byName := map[string]*StepProgress{}
	stateOf := map[int64]string{} // event id -> state name, following previousEventId
	array := map[int64]bool{}     // an array job's TaskScheduled, then its TaskStarted
	open := map[int64]openJob{}   // an array job's TaskSubmitted event id -> the job, until its Task ends
	err = history(ctx, o.C, execArn(d.Arn, runID), func(e sfntypes.HistoryEvent) {
		name := ""
		if e.StateEnteredEventDetails != nil {
			name = aws.ToString(e.StateEnteredEventDetails.Name)
		} else {
			name = stateOf[e.PreviousEventId]
		}
		stateOf[e.Id] = name
		// A step's other Task states: as the body of a foreach run as
		// array jobs, its one-item job (<step>.One) and, past one array
		// job, its chunks' (<step>.Chunk, <step>.Single); its chunked
		// Map copy (<step>.Dist).
		for _, suffix := range []string{".One", ".Chunk", ".Single", ".Dist"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && isStep[base] {
				name = base
			}
		}
		if !isStep[name] {
			return
		}
		p := byName[name]
		if p == nil {
			p = &StepProgress{Step: name}
			byName[name] = p
			st.Steps = append(st.Steps, p)
		}
		switch e.Type {
		case sfntypes.HistoryEventTypeTaskStateEntered:
			p.Started++
			p.Running++
		case sfntypes.HistoryEventTypeTaskStateExited:
			p.Running--
		case sfntypes.HistoryEventTypeTaskScheduled:
			var in struct{ ArrayProperties struct{ Size int } }
			array[e.Id] = e.TaskScheduledEventDetails != nil && json.Unmarshal([]byte(aws.ToString(e.TaskScheduledEventDetails.Parameters)), &in) == nil && in.ArrayProperties.Size > 0
		case sfntypes.HistoryEventTypeTaskStarted:
			array[e.Id] = array[e.PreviousEventId]
		case sfntypes.HistoryEventTypeTaskSubmitted:
			var out struct{ JobId string }
			if array[e.PreviousEventId] && e.TaskSubmittedEventDetails != nil && json.Unmarshal([]byte(aws.ToString(e.TaskSubmittedEventDetails.Output)), &out) == nil && out.JobId != "" {
				open[e.Id] = openJob{p, out.JobId}
			}
		case sfntypes.HistoryEventTypeTaskSucceeded:
			delete(open, e.PreviousEventId)
			p.Succeeded++
			if e.TaskSucceededEventDetails != nil {
				p.countChildren(aws.ToString(e.TaskSucceededEventDetails.Output), true)
			}
		case sfntypes.HistoryEventTypeTaskFailed, sfntypes.HistoryEventTypeTaskTimedOut, sfntypes.HistoryEventTypeTaskSubmitFailed, sfntypes.HistoryEventTypeTaskStartFailed:
			delete(open, e.PreviousEventId)
			p.Failed++
			if e.TaskFailedEventDetails != nil {
				p.countChildren(aws.ToString(e.TaskFailedEventDetails.Cause), false)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if st.Status == string(sfntypes.ExecutionStatusRunning) {
		if err := o.countRunningChildren(ctx, open); err != nil {
			return nil, err
		}
	}
	for _, p := range st.Steps {
		if st.Status != "RUNNING" || p.Running < 0 {
			p.Running = 0
		}
	}
	return st, nil
}

func history(ctx context.Context, c *Clients, arn string, fn func(sfntypes.HistoryEvent)) error {
	p := sfnsdk.NewGetExecutionHistoryPaginator(c.SFN, &sfnsdk.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return awsErr("read the execution history", err)
		}
		for _, e := range page.Events {
			fn(e)
		}
	}
	return nil
}

// Terminate stops a running run.
func (o *Ops) Terminate(ctx context.Context, runID, user, authorizeToken, tokenDir string) (time.Time, error) {
	d, err := o.deployed(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if err := checkOwner(d, o.Flow, o.Scope, user, authorizeToken, readToken(tokenDir, o.Machine), "terminate runs of"); err != nil {
		return time.Time{}, err
	}
	ex, err := o.execution(ctx, d, runID)
	if err != nil {
		return time.Time{}, err
	}
	if ex.Status != sfntypes.ExecutionStatusRunning {
		return time.Time{}, userf("run %s is not running (it is %s); nothing to terminate", runID, ex.Status)
	}
	out, err := o.C.SFN.StopExecution(ctx, &sfnsdk.StopExecutionInput{ExecutionArn: ex.ExecutionArn,
		Error: aws.String("Stepflow.Terminated"), Cause: aws.String("terminated by " + user + " with step-functions terminate")})
	if errCode(err) == "ExecutionDoesNotExist" {
		return time.Time{}, userf("run %s does not exist on state machine %s", runID, o.Machine)
	}
	if err != nil {
		return time.Time{}, awsErr("terminate run "+runID, err)
	}
	return aws.ToTime(out.StopDate), nil
}

// Resume redrives a failed, timed out or aborted run: Step Functions
// reruns it from the states that did not succeed, with the same execution
// name, so the run id and every task id stay, finished tasks are not run
// again and the records of earlier attempts are kept.
//
// Like terminate and delete, it refuses a machine whose tags do not name
// this flow, and another owner's production deployment without its token.
func (o *Ops) Resume(ctx context.Context, runID, user, authorizeToken, tokenDir string, now time.Time) error {
	d, err := o.deployed(ctx)
	if err != nil {
		return err
	}
	if err := checkOwner(d, o.Flow, o.Scope, user, authorizeToken, readToken(tokenDir, o.Machine), "resume runs of"); err != nil {
		return err
	}
	ex, err := o.execution(ctx, d, runID)
	if err != nil {
		return err
	}
	local := fmt.Sprintf("resume it locally instead, reusing its successful tasks: STEPFLOW_DATASTORE_ROOT=<datastore root> %s resume --origin-run-id %s", o.Prog, runID)
	switch ex.Status {
	case sfntypes.ExecutionStatusRunning:
		return userf("run %s is still running; it can be resumed once it has failed, timed out or been terminated", runID)
	case sfntypes.ExecutionStatusSucceeded:
		return userf("run %s succeeded; there is nothing to resume", runID)
	}
	if stop := aws.ToTime(ex.StopDate); !now.IsZero() && !stop.IsZero() && now.Sub(stop) > RedriveWindow {
		return userf("run %s cannot be redriven on AWS Step Functions: it ended on %s, more than 14 days ago; %s", runID, stop.UTC().Format(time.RFC3339), local)
	}
	_, err = o.C.SFN.RedriveExecution(ctx, &sfnsdk.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn})
	if err == nil {
		return nil
	}
	switch errCode(err) { // "" (a 500 page, a lost connection) is no success
	case "ExecutionNotRedrivable":
		msg := err.Error()
		if i := strings.LastIndex(msg, "ExecutionNotRedrivable: "); i >= 0 {
			msg = msg[i+len("ExecutionNotRedrivable: "):]
		}
		return userf("run %s cannot be redriven on AWS Step Functions (%s); %s", runID, msg, local)
	case "ExecutionDoesNotExist":
		return userf("run %s does not exist on state machine %s", runID, o.Machine)
	}
	return awsErr("redrive run "+runID, err)
}

// Delete deletes the schedule, the event rules of the triggers and the
// state machine. It refuses a machine that is not this flow's, or another
// owner's without the token, always; and while runs are in flight unless
// force (they then go on until they end): force skips only that check.
func (o *Ops) Delete(ctx context.Context, force bool, user, authorizeToken, tokenDir, schedule string) ([]string, error) {
	d, err := o.deployed(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkOwner(d, o.Flow, o.Scope, user, authorizeToken, readToken(tokenDir, o.Machine), "delete"); err != nil {
		return nil, err
	}
	running, err := listRuns(ctx, o.C, d.Arn, "RUNNING", 1)
	if err != nil {
		return nil, err
	}
	if len(running) > 0 && !force {
		return nil, userf("state machine %s has runs in flight (e.g. %s); wait for them, stop them with '%s step-functions terminate RUN', or delete anyway with --force (the runs go on until they end)", o.Machine, running[0].ID, o.Prog)
	}
	var did []string
	if _, err := o.C.Scheduler.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(schedule)}); err == nil {
		did = append(did, "schedule "+schedule+": deleted")
	} else if errCode(err) != "ResourceNotFoundException" {
		return nil, awsErr("delete schedule "+schedule, err)
	}
	rules, err := deleteRules(ctx, o.C, o.Machine)
	did = append(did, rules...)
	if err != nil {
		return did, err
	}
	if _, err := o.C.SFN.DeleteStateMachine(ctx, &sfnsdk.DeleteStateMachineInput{StateMachineArn: aws.String(d.Arn)}); err != nil {
		return did, awsErr("delete state machine "+o.Machine, err)
	}
	removeToken(tokenDir, o.Machine)
	did = append(did, "state machine "+o.Machine+": deleted")
	if len(running) > 0 {
		did = append(did, "runs in flight go on until they end (AWS deletes the state machine then)")
	}
	return did, nil
}

// BatchJob finds the Batch job of a task of a run from the execution
// history: the TaskScheduled event whose container environment names the
// step and task, followed (through previousEventId) by the TaskSubmitted
// event that holds the job id. The latest attempt wins.
func (o *Ops) BatchJob(ctx context.Context, runID, step, task string) (string, error) {
	d, err := o.deployed(ctx)
	if err != nil {
		return "", err
	}
	if _, err := o.execution(ctx, d, runID); err != nil {
		return "", err
	}
	scheduled := map[int64]bool{} // TaskScheduled of the task, then its TaskStarted
	child := map[int64]string{}   // of an array job: the task's ":INDEX" in it
	job := ""
	err = history(ctx, o.C, execArn(d.Arn, runID), func(e sfntypes.HistoryEvent) {
		switch {
		case e.TaskScheduledEventDetails != nil:
			var p struct {
				ContainerOverrides struct {
					Environment []struct{ Name, Value string }
				}
				ArrayProperties struct{ Size int }
			}
			if json.Unmarshal([]byte(aws.ToString(e.TaskScheduledEventDetails.Parameters)), &p) != nil {
				return
			}
			env := map[string]string{}
			for _, kv := range p.ContainerOverrides.Environment {
				env[kv.Name] = kv.Value
			}
			if env["STEPFLOW_STEP"] != step {
				return
			}
			if env["STEPFLOW_TASK_ID"] == task {
				scheduled[e.Id] = true
			}
			// An array job (docs/state-machine.md, "Array jobs"): the task
			// is the child OFFSET+INDEX, whose job id is PARENT:INDEX.
			if off, err := strconv.Atoi(env[statemachine.EnvArrayOffset]); err == nil {
				if t, err := strconv.Atoi(task); err == nil && t >= off && t < off+p.ArrayProperties.Size && strconv.Itoa(t) == task {
					scheduled[e.Id], child[e.Id] = true, ":"+strconv.Itoa(t-off)
				}
			}
		case e.Type == sfntypes.HistoryEventTypeTaskStarted && scheduled[e.PreviousEventId]:
			scheduled[e.Id], child[e.Id] = true, child[e.PreviousEventId]
		case e.TaskSubmittedEventDetails != nil && scheduled[e.PreviousEventId]:
			var out struct{ JobId string }
			if json.Unmarshal([]byte(aws.ToString(e.TaskSubmittedEventDetails.Output)), &out) == nil && out.JobId != "" {
				job = out.JobId + child[e.PreviousEventId]
			}
		}
	})
	if err != nil {
		return "", err
	}
	if job == "" {
		return "", userf("task %s/%s/%s has no AWS Batch job in the execution history (it has not started, or it is not a task of this run)", runID, step, task)
	}
	return job, nil
}

// CloudLogs copies a Batch job's CloudWatch Logs (its awslogs stream) to w.
func (o *Ops) CloudLogs(ctx context.Context, jobID string, w io.Writer) error {
	out, err := o.C.Batch.DescribeJobs(ctx, &batchsdk.DescribeJobsInput{Jobs: []string{jobID}})
	if err != nil {
		return awsErr("describe AWS Batch job "+jobID, err)
	}
	if len(out.Jobs) == 0 || out.Jobs[0].Container == nil || aws.ToString(out.Jobs[0].Container.LogStreamName) == "" {
		return userf("AWS Batch job %s has no CloudWatch log stream (it has not started, or AWS Batch no longer keeps it)", jobID)
	}
	ct := out.Jobs[0].Container
	group := "/aws/batch/job"
	if lc := ct.LogConfiguration; lc != nil && lc.LogDriver == "awslogs" && lc.Options["awslogs-group"] != "" {
		group = lc.Options["awslogs-group"]
	}
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: ct.LogStreamName, StartFromHead: aws.Bool(true)}
	for {
		page, err := o.C.Logs.GetLogEvents(ctx, in)
		if err != nil {
			return awsErr("read CloudWatch Logs "+group+" "+aws.ToString(ct.LogStreamName), err)
		}
		for _, e := range page.Events {
			msg := aws.ToString(e.Message)
			if !strings.HasSuffix(msg, "\n") {
				msg += "\n"
			}
			if _, err := io.WriteString(w, msg); err != nil {
				return err
			}
		}
		// The last page repeats its forward token.
		if page.NextForwardToken == nil || aws.ToString(page.NextForwardToken) == aws.ToString(in.NextToken) {
			return nil
		}
		in.NextToken = page.NextForwardToken
	}
}
