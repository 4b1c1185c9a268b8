// The Step Functions service of the fake: state machines, their executions
// and the executions' event histories.

package awstest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
)

// Machine is a state machine.
type Machine struct {
	Arn, Name, Definition, RoleArn, Type, Status string
	Logging                                      *loggingJSON
	Tags                                         map[string]string
	Created                                      time.Time
}

type loggingJSON struct {
	Level                string `json:"level,omitempty"`
	IncludeExecutionData bool   `json:"includeExecutionData"`
	Destinations         []struct {
		CloudWatchLogsLogGroup *struct {
			LogGroupArn string `json:"logGroupArn"`
		} `json:"cloudWatchLogsLogGroup,omitempty"`
	} `json:"destinations,omitempty"`
}

// Execution is an execution of a state machine.
type Execution struct {
	Arn, Name, MachineArn, Status, Input string
	Error, Cause                         string // a failed execution's, as DescribeExecution answers them
	Start, Stop                          time.Time
	RedriveCount                         int
	Events                               []map[string]any
	inState                              map[string]bool // step/task in a Task state
	polls                                int             // DescribeExecution answers, for FinishAfterPolls
}

// Machine returns the state machine named name, or nil.
func (f *Fake) Machine(name string) *Machine {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.machines[name]; ok {
		c := *m
		return &c
	}
	return nil
}

// AddMachine creates a state machine, as another deployer would.
func (f *Fake) AddMachine(name, definition, role string, tags map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mc := &Machine{Arn: fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", Region, Account, name), Name: name,
		Definition: definition, RoleArn: role, Type: "STANDARD", Status: "ACTIVE", Tags: map[string]string{}, Created: f.tick()}
	for k, v := range tags {
		mc.Tags[k] = v
	}
	f.machines[name] = mc
}

// SetMachineStatus sets a state machine's status (ACTIVE, DELETING).
func (f *Fake) SetMachineStatus(name, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.machines[name].Status = status
}

// SetTag sets a tag of a state machine, as another deployer would.
func (f *Fake) SetTag(machine, key, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.machines[machine].Tags[key] = value
}

// Execution returns the execution named name (of any state machine), or nil.
func (f *Fake) Execution(name string) *Execution {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.execByName(name); e != nil {
		c := *e
		return &c
	}
	return nil
}

func (f *Fake) execByName(name string) *Execution {
	for _, arn := range f.execOrder {
		if e := f.execs[arn]; e.Name == name {
			return e
		}
	}
	return nil
}

func (f *Fake) event(e *Execution, typ string, prev int, details map[string]any) int {
	id := len(e.Events) + 1
	ev := map[string]any{"id": id, "previousEventId": prev, "timestamp": epoch(f.tick()), "type": typ}
	for k, v := range details {
		ev[k] = v
	}
	e.Events = append(e.Events, ev)
	return id
}

// Progress simulates a step's task in a running execution: its Task state
// entered, the Batch job submitted (a job with a log stream holding
// "<step> <task> log line"), and, with outcome "succeeded" or "failed", its
// end. outcome "running" leaves the job running.
func (f *Fake) Progress(execName, step, task, outcome string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.execByName(execName)
	if e == nil {
		return fmt.Errorf("no execution %s", execName)
	}
	// A retry stays in the state: no second TaskStateEntered.
	entered := len(e.Events)
	if key := step + "/" + task; !e.inState[key] {
		if e.inState == nil {
			e.inState = map[string]bool{}
		}
		e.inState[key] = true
		entered = f.event(e, "TaskStateEntered", len(e.Events), map[string]any{"stateEnteredEventDetails": map[string]any{"name": step, "input": "{}"}})
	}
	params, _ := json.Marshal(map[string]any{"JobName": step, "ContainerOverrides": map[string]any{"Environment": []map[string]string{
		{"Name": "STEPFLOW_RUN_ID", "Value": statemachine.RunPrefix + e.Name}, {"Name": "STEPFLOW_STEP", "Value": step}, {"Name": "STEPFLOW_TASK_ID", "Value": task}}}})
	sched := f.event(e, "TaskScheduled", entered, map[string]any{"taskScheduledEventDetails": map[string]any{
		"resourceType": "batch", "resource": "submitJob.sync", "region": Region, "parameters": string(params)}})
	started := f.event(e, "TaskStarted", sched, map[string]any{"taskStartedEventDetails": map[string]any{"resourceType": "batch", "resource": "submitJob.sync"}})
	f.seq++
	job := &Job{ID: fmt.Sprintf("job-%04d", f.seq), Name: step, Status: "RUNNING", LogStream: fmt.Sprintf("stepflow/default/%04d", f.seq)}
	f.jobs[job.ID] = job
	f.logs["/aws/batch/job\x00"+job.LogStream] = []LogEvent{{f.now, step + " " + task + " log line 1"}, {f.now, step + " " + task + " log line 2"}}
	out, _ := json.Marshal(map[string]string{"JobId": job.ID, "JobName": step})
	sub := f.event(e, "TaskSubmitted", started, map[string]any{"taskSubmittedEventDetails": map[string]any{"resourceType": "batch", "resource": "submitJob.sync", "output": string(out)}})
	switch outcome {
	case "succeeded":
		job.Status = "SUCCEEDED"
		s := f.event(e, "TaskSucceeded", sub, map[string]any{"taskSucceededEventDetails": map[string]any{"resourceType": "batch", "resource": "submitJob.sync", "output": string(out)}})
		f.event(e, "TaskStateExited", s, map[string]any{"stateExitedEventDetails": map[string]any{"name": step, "output": "{}"}})
		delete(e.inState, step+"/"+task)
	case "failed":
		job.Status = "FAILED"
		f.event(e, "TaskFailed", sub, map[string]any{"taskFailedEventDetails": map[string]any{"resourceType": "batch", "resource": "submitJob.sync", "error": "States.TaskFailed", "cause": "Essential container in task exited"}})
	case "running":
	default:
		return fmt.Errorf("outcome %q: want succeeded, failed or running", outcome)
	}
	return nil
}

// ProgressArray simulates a foreach's array job in a running execution
// (docs/state-machine.md, "Array jobs"): the body step's Task state
// entered, one SubmitJob with ArrayProperties.Size size and
// STEPFLOW_ARRAY_OFFSET 0 (no task id), a succeeded child job
// PARENT:INDEX per index, each with a log stream holding
// "<step> <index> log line", and the Task's success with the job's
// description (ArrayProperties {Size, StatusSummary}).
func (f *Fake) ProgressArray(execName, step string, size int) error {
	return f.progressArray(execName, step, size, nil)
}

// ProgressArrayRunning is ProgressArray with the array job still running:
// its children's statuses are summary (AWS Batch's job statuses, e.g.
// {"RUNNING": 2, "SUCCEEDED": 3}), which DescribeJobs on the array job
// answers as its ArrayProperties.StatusSummary, and its Task has not
// ended.
func (f *Fake) ProgressArrayRunning(execName, step string, size int, summary map[string]int) error {
	if summary == nil {
		summary = map[string]int{}
	}
	return f.progressArray(execName, step, size, summary)
}

// progressArray is ProgressArray, the job left running with the
// children's statuses summary when summary is not nil.
func (f *Fake) progressArray(execName, step string, size int, summary map[string]int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.execByName(execName)
	if e == nil {
		return fmt.Errorf("no execution %s", execName)
	}
	entered := f.event(e, "TaskStateEntered", len(e.Events), map[string]any{"stateEnteredEventDetails": map[string]any{"name": step, "input": "{}"}})
	params, _ := json.Marshal(map[string]any{"JobName": step, "ArrayProperties": map[string]int{"Size": size},
		"ContainerOverrides": map[string]any{"Environment": []map[string]string{
			{"Name": "STEPFLOW_RUN_ID", "Value": statemachine.RunPrefix + e.Name}, {"Name": "STEPFLOW_STEP", "Value": step}, {"Name": "STEPFLOW_ARRAY_OFFSET", "Value": "0"}}}})
	sched := f.event(e, "TaskScheduled", entered, map[string]any{"taskScheduledEventDetails": map[string]any{
		"resourceType": "batch", "resource": "submitJob.sync", "region": Region, "parameters": string(params)}})
	started := f.event(e, "TaskStarted", sched, map[string]any{"taskStartedEventDetails": map[string]any{"resourceType": "batch", "resource": "submitJob.sync"}})
	f.seq++
	parent := &Job{ID: fmt.Sprintf("job-%04d", f.seq), Name: step, Status: "SUCCEEDED", ArraySize: size, StatusSummary: map[string]int{"SUCCEEDED": size}}
	if summary != nil {
		parent.Status, parent.StatusSummary = "RUNNING", summary
	}
	f.jobs[parent.ID] = parent
	for i := 0; i < size; i++ {
		c := &Job{ID: fmt.Sprintf("%s:%d", parent.ID, i), Name: step, Status: "SUCCEEDED", LogStream: fmt.Sprintf("stepflow/default/%04d-%d", f.seq, i)}
		f.jobs[c.ID] = c
		f.logs["/aws/batch/job\x00"+c.LogStream] = []LogEvent{{f.now, fmt.Sprintf("%s %d log line", step, i)}}
	}
	out, _ := json.Marshal(map[string]string{"JobId": parent.ID, "JobName": step})
	sub := f.event(e, "TaskSubmitted", started, map[string]any{"taskSubmittedEventDetails": map[string]any{"resourceType": "batch", "resource": "submitJob.sync", "output": string(out)}})
	if summary != nil {
		return nil
	}
	desc, _ := json.Marshal(map[string]any{"JobId": parent.ID, "JobName": step, "Status": "SUCCEEDED",
		"ArrayProperties": map[string]any{"Size": size, "StatusSummary": map[string]int{"SUCCEEDED": size}}})
	s := f.event(e, "TaskSucceeded", sub, map[string]any{"taskSucceededEventDetails": map[string]any{"resourceType": "batch", "resource": "submitJob.sync", "output": string(desc)}})
	f.event(e, "TaskStateExited", s, map[string]any{"stateExitedEventDetails": map[string]any{"name": step, "output": "{}"}})
	return nil
}

// FinishAfterPolls makes every running execution end with status once
// DescribeExecution has answered for it polls times: a run that ends while
// a command watches it.
func (f *Fake) FinishAfterPolls(status string, polls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.autoFinish, f.autoPolls = status, polls
}

// Finish ends an execution with status (SUCCEEDED, FAILED, TIMED_OUT,
// ABORTED), ago before the fake's clock.
func (f *Fake) Finish(execName, status string, ago time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.execByName(execName)
	if e == nil {
		return fmt.Errorf("no execution %s", execName)
	}
	f.finish(e, status, ago)
	return nil
}

// FailWithCause ends an execution FAILED with the error and cause Step
// Functions reports (e.g. a Task's Batch.AWSBatchException and AWS Batch's
// message).
func (f *Fake) FailWithCause(execName, errName, cause string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.execByName(execName)
	if e == nil {
		return fmt.Errorf("no execution %s", execName)
	}
	e.Error, e.Cause = errName, cause
	f.finish(e, "FAILED", 0)
	return nil
}

// finish ends e. Called with f.mu held.
func (f *Fake) finish(e *Execution, status string, ago time.Duration) {
	e.Status = status
	e.Stop = f.tick().Add(-ago)
	typ := map[string]string{"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed", "TIMED_OUT": "ExecutionTimedOut", "ABORTED": "ExecutionAborted"}[status]
	f.event(e, typ, len(e.Events), nil)
}

func (f *Fake) machineByArn(arn string) (*Machine, error) {
	for _, mc := range f.machines {
		if mc.Arn == arn {
			return mc, nil
		}
	}
	if !strings.HasPrefix(arn, "arn:") {
		return nil, errf(400, "InvalidArn", "Invalid Arn: '%s'", arn)
	}
	return nil, errf(400, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
}

func (f *Fake) listStateMachines(in any, _ *restArgs) (any, error) {
	var names []string
	for n := range f.machines {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []m
	for _, n := range names {
		mc := f.machines[n]
		out = append(out, m{"stateMachineArn": mc.Arn, "name": mc.Name, "type": mc.Type, "creationDate": epoch(mc.Created)})
	}
	return m{"stateMachines": out}, nil
}

func (f *Fake) describeStateMachine(in any, _ *restArgs) (any, error) {
	mc, err := f.machineByArn(str(in.(*sfn.DescribeStateMachineInput).StateMachineArn))
	if err != nil {
		return nil, err
	}
	out := m{"stateMachineArn": mc.Arn, "name": mc.Name, "status": mc.Status, "definition": mc.Definition,
		"roleArn": mc.RoleArn, "type": mc.Type, "creationDate": epoch(mc.Created)}
	if mc.Logging != nil {
		out["loggingConfiguration"] = mc.Logging
	}
	return out, nil
}

func logging(in any) *loggingJSON {
	if in == nil {
		return nil
	}
	data, _ := json.Marshal(in) // SDK type -> Go field names; decode case-insensitively
	var l loggingJSON
	json.Unmarshal(data, &l)
	return &l
}

func checkDefinition(def string) error {
	var v struct {
		StartAt string
		States  map[string]any
	}
	if err := json.Unmarshal([]byte(def), &v); err != nil || v.StartAt == "" || len(v.States) == 0 {
		return errf(400, "InvalidDefinition", "Invalid State Machine Definition: '%v'", err)
	}
	return nil
}

func (f *Fake) createStateMachine(in any, _ *restArgs) (any, error) {
	req := in.(*sfn.CreateStateMachineInput)
	name := str(req.Name)
	if name == "" || str(req.RoleArn) == "" {
		return nil, errf(400, "ValidationException", "name and roleArn are required")
	}
	if mc, ok := f.machines[name]; ok {
		if mc.Status == "DELETING" {
			return nil, errf(400, "StateMachineDeleting", "State machine is being deleted: '%s'", mc.Arn)
		}
		return nil, errf(400, "StateMachineAlreadyExists", "State Machine Already Exists: '%s'", mc.Arn)
	}
	if err := checkDefinition(str(req.Definition)); err != nil {
		return nil, err
	}
	mc := &Machine{Arn: fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", Region, Account, name), Name: name,
		Definition: str(req.Definition), RoleArn: str(req.RoleArn), Type: string(req.Type), Status: "ACTIVE", Tags: map[string]string{}, Created: f.tick()}
	if mc.Type == "" {
		mc.Type = "STANDARD"
	}
	if req.LoggingConfiguration != nil {
		mc.Logging = logging(req.LoggingConfiguration)
	}
	for _, t := range req.Tags {
		mc.Tags[str(t.Key)] = str(t.Value)
	}
	f.machines[name] = mc
	return m{"stateMachineArn": mc.Arn, "creationDate": epoch(mc.Created)}, nil
}

func (f *Fake) updateStateMachine(in any, _ *restArgs) (any, error) {
	req := in.(*sfn.UpdateStateMachineInput)
	mc, err := f.machineByArn(str(req.StateMachineArn))
	if err != nil {
		return nil, err
	}
	if mc.Status == "DELETING" {
		return nil, errf(400, "StateMachineDeleting", "State machine is being deleted: '%s'", mc.Arn)
	}
	if req.Definition != nil {
		if err := checkDefinition(*req.Definition); err != nil {
			return nil, err
		}
		mc.Definition = *req.Definition
	}
	if req.RoleArn != nil {
		mc.RoleArn = *req.RoleArn
	}
	if req.LoggingConfiguration != nil {
		mc.Logging = logging(req.LoggingConfiguration)
	}
	return m{"updateDate": epoch(f.tick())}, nil
}

func (f *Fake) deleteStateMachine(in any, _ *restArgs) (any, error) {
	mc, err := f.machineByArn(str(in.(*sfn.DeleteStateMachineInput).StateMachineArn))
	if err != nil {
		return nil, err
	}
	delete(f.machines, mc.Name) // AWS marks it DELETING first; the fake is done at once
	return m{}, nil
}

func (f *Fake) listTags(in any, _ *restArgs) (any, error) {
	mc, err := f.machineByArn(str(in.(*sfn.ListTagsForResourceInput).ResourceArn))
	if err != nil {
		return nil, errf(400, "ResourceNotFound", "Resource not found: '%s'", str(in.(*sfn.ListTagsForResourceInput).ResourceArn))
	}
	var keys []string
	for k := range mc.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tags []m
	for _, k := range keys {
		tags = append(tags, m{"key": k, "value": mc.Tags[k]})
	}
	return m{"tags": tags}, nil
}

func (f *Fake) tagResource(in any, _ *restArgs) (any, error) {
	req := in.(*sfn.TagResourceInput)
	mc, err := f.machineByArn(str(req.ResourceArn))
	if err != nil {
		return nil, errf(400, "ResourceNotFound", "Resource not found: '%s'", str(req.ResourceArn))
	}
	for _, t := range req.Tags {
		mc.Tags[str(t.Key)] = str(t.Value)
	}
	return m{}, nil
}

func (f *Fake) startExecution(in any, _ *restArgs) (any, error) {
	req := in.(*sfn.StartExecutionInput)
	mc, err := f.machineByArn(str(req.StateMachineArn))
	if err != nil {
		return nil, err
	}
	if len(str(req.Input)) > 256<<10 {
		return nil, errf(400, "InvalidExecutionInput", "input exceeds 262144 bytes")
	}
	if req.Input != nil && !json.Valid([]byte(*req.Input)) {
		return nil, errf(400, "InvalidExecutionInput", "Invalid execution input")
	}
	name := str(req.Name)
	if name == "" {
		f.seq++
		name = fmt.Sprintf("00000000-0000-4000-8000-%012d", f.seq)
	}
	arn := fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", Region, Account, mc.Name, name)
	if e, ok := f.execs[arn]; ok {
		// Idempotent for a standard workflow: the same name and input of
		// a running execution answer as the first call did.
		if e.Status == "RUNNING" && e.Input == str(req.Input) {
			return m{"executionArn": arn, "startDate": epoch(e.Start)}, nil
		}
		return nil, errf(400, "ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	e := &Execution{Arn: arn, Name: name, MachineArn: mc.Arn, Status: "RUNNING", Input: str(req.Input), Start: f.tick()}
	f.event(e, "ExecutionStarted", 0, m{"executionStartedEventDetails": m{"input": e.Input, "roleArn": mc.RoleArn}})
	f.execs[arn] = e
	f.execOrder = append(f.execOrder, arn)
	return m{"executionArn": arn, "startDate": epoch(e.Start)}, nil
}

func (f *Fake) execution(arn string) (*Execution, error) {
	if e, ok := f.execs[arn]; ok {
		return e, nil
	}
	return nil, errf(400, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
}

func (f *Fake) listExecutions(in any, _ *restArgs) (any, error) {
	req := in.(*sfn.ListExecutionsInput)
	mc, err := f.machineByArn(str(req.StateMachineArn))
	if err != nil {
		return nil, err
	}
	var out []m
	for i := len(f.execOrder) - 1; i >= 0; i-- { // newest first, like AWS
		e := f.execs[f.execOrder[i]]
		if e.MachineArn != mc.Arn || (req.StatusFilter != "" && string(req.StatusFilter) != e.Status) {
			continue
		}
		x := m{"executionArn": e.Arn, "stateMachineArn": e.MachineArn, "name": e.Name, "status": e.Status, "startDate": epoch(e.Start)}
		if !e.Stop.IsZero() {
			x["stopDate"] = epoch(e.Stop)
		}
		out = append(out, x)
	}
	// One execution per page when MaxResults is 1, to exercise paging.
	start := 0
	if t := str(req.NextToken); t != "" {
		start, _ = strconv.Atoi(t)
	}
	size := len(out)
	if req.MaxResults > 0 {
		size = int(req.MaxResults)
	}
	end := min(start+size, len(out))
	if start > len(out) {
		start = len(out)
	}
	res := m{"executions": out[start:end]}
	if end < len(out) {
		res["nextToken"] = strconv.Itoa(end)
	}
	return res, nil
}

func (f *Fake) describeExecution(in any, _ *restArgs) (any, error) {
	e, err := f.execution(str(in.(*sfn.DescribeExecutionInput).ExecutionArn))
	if err != nil {
		return nil, err
	}
	if f.autoFinish != "" && e.Status == "RUNNING" {
		if e.polls++; e.polls >= f.autoPolls {
			f.finish(e, f.autoFinish, 0)
		}
	}
	out := m{"executionArn": e.Arn, "stateMachineArn": e.MachineArn, "name": e.Name, "status": e.Status,
		"startDate": epoch(e.Start), "input": e.Input, "redriveCount": e.RedriveCount}
	if !e.Stop.IsZero() {
		out["stopDate"] = epoch(e.Stop)
	}
	if e.Error != "" {
		out["error"], out["cause"] = e.Error, e.Cause
	}
	return out, nil
}

func (f *Fake) getExecutionHistory(in any, _ *restArgs) (any, error) {
	req := in.(*sfn.GetExecutionHistoryInput)
	e, err := f.execution(str(req.ExecutionArn))
	if err != nil {
		return nil, err
	}
	// Pages of at most 3 events, to exercise paging.
	start := 0
	if t := str(req.NextToken); t != "" {
		start, _ = strconv.Atoi(t)
	}
	end := min(start+3, len(e.Events))
	res := m{"events": e.Events[start:end]}
	if end < len(e.Events) {
		res["nextToken"] = strconv.Itoa(end)
	}
	return res, nil
}

func (f *Fake) stopExecution(in any, _ *restArgs) (any, error) {
	req := in.(*sfn.StopExecutionInput)
	e, err := f.execution(str(req.ExecutionArn))
	if err != nil {
		return nil, err
	}
	if e.Status == "RUNNING" {
		e.Status = "ABORTED"
		e.Stop = f.tick()
		f.event(e, "ExecutionAborted", len(e.Events), m{"executionAbortedEventDetails": m{"error": str(req.Error), "cause": str(req.Cause)}})
	}
	return m{"stopDate": epoch(e.Stop)}, nil
}

// RedriveWindow is how long after its end an execution can be redriven.
const RedriveWindow = 14 * 24 * time.Hour

func (f *Fake) redriveExecution(in any, _ *restArgs) (any, error) {
	e, err := f.execution(str(in.(*sfn.RedriveExecutionInput).ExecutionArn))
	if err != nil {
		return nil, err
	}
	switch {
	case e.Status == "RUNNING" || e.Status == "SUCCEEDED":
		return nil, errf(400, "ExecutionNotRedrivable", "Execution with arn '%s' is not redrivable: its status is %s", e.Arn, e.Status)
	case f.now.Sub(e.Stop) > RedriveWindow:
		return nil, errf(400, "ExecutionNotRedrivable", "Execution with arn '%s' is not redrivable: it ended more than 14 days ago", e.Arn)
	}
	e.Status, e.Stop = "RUNNING", time.Time{}
	e.RedriveCount++
	now := f.tick()
	f.event(e, "ExecutionRedriven", len(e.Events), m{"executionRedrivenEventDetails": m{"redriveCount": e.RedriveCount}})
	return m{"redriveDate": epoch(now)}, nil
}
