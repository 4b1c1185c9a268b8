// Package awstest is a loopback fake of the AWS control planes that deploy
// and operations call: Step Functions (awsJson1_0, X-Amz-Target
// AWSStepFunctions.<Op>), AWS Batch (REST-JSON, POST /v1/<op>), EventBridge
// Scheduler (REST-JSON, /schedules/{Name}), EventBridge (awsJson1_1,
// X-Amz-Target AWSEvents.<Op>: the default bus's rules, their targets,
// PutEvents) and CloudWatch Logs (awsJson1_1, X-Amz-Target
// Logs_20140328.<Op>). One httptest server on 127.0.0.1 serves all five; point each SDK client at Fake.URL with BaseEndpoint and static
// credentials.
//
// Every request is decoded into the AWS SDK's own input type of its
// operation (sfn.CreateStateMachineInput, batch.RegisterJobDefinitionInput,
// ...) with encoding/json and DisallowUnknownFields: the SDK's input structs
// carry no JSON tags, and encoding/json matches the wire names (camelCase for
// Step Functions, Batch and Logs, PascalCase for Scheduler) to the exported
// Go field names case-insensitively, so a key the SDK type does not know, or
// a value of the wrong shape, fails the request with a ValidationException
// and the test. Scheduler's path and query members (Name, groupName,
// clientToken) are filled in from the URL. Shapes used here have no union
// members (those are interfaces, which encoding/json cannot fill).
//
// Answers follow the AWS wire format: camelCase (PascalCase for Scheduler)
// JSON (PascalCase for EventBridge) with timestamps as epoch seconds; errors carry the code in the
// X-Amzn-ErrorType header and in "__type" with the service's HTTP status.
// The fake records every request (Requests, Writes) and injects errors on
// demand (Fail).
package awstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
)

// Services of Request.Service.
const (
	SFN       = "sfn"
	Batch     = "batch"
	Scheduler = "scheduler"
	Events    = "events"
	Logs      = "logs"
)

// Region and Account of every ARN the fake makes.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// Epoch is the fake clock's first instant; each request advances it by one
// second, so answers are deterministic.
var Epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Request is one request the fake received.
type Request struct {
	Service string
	Op      string // the operation, e.g. "CreateStateMachine"
	Input   any    // the decoded SDK input, e.g. *sfn.CreateStateMachineInput
	Status  int    // the HTTP status answered
	Error   string // the error code answered, or ""
}

// Write reports whether the operation changes something.
func (r Request) Write() bool {
	for _, p := range []string{"describe", "list", "get"} { // Batch ops are lower case
		if strings.HasPrefix(strings.ToLower(r.Op), p) {
			return false
		}
	}
	return true
}

// Fake is the loopback server and its state.
type Fake struct {
	URL string
	srv *httptest.Server
	// Before, when set, is called with the operation of every request
	// before it is handled (tests use it to simulate concurrent changes).
	Before func(op string)

	mu        sync.Mutex
	now       time.Time
	seq       int
	reqs      []Request
	faults    map[string][]fault
	machines  map[string]*Machine // by name
	execs     map[string]*Execution
	execOrder []string // execution ARNs, in start order
	jobDefs   map[string][]*JobDef
	schedules map[string]*scheduler.GetScheduleOutput // by group/name
	jobs      map[string]*Job
	logs      map[string][]LogEvent // by group + "\x00" + stream
	queues    map[string][]string   // job queue name -> its compute environments' types
	rules     map[string]*Rule      // EventBridge rules of the default bus, by name
	published []PublishedEvent      // PutEvents entries, in order
	// autoFinish, when set, ends a running execution with this status once
	// it has been described autoPolls times (FinishAfterPolls).
	autoFinish string
	autoPolls  int
}

type fault struct {
	code    string
	status  int
	message string
	after   bool // the operation applies; its answer is the error (a lost response)
}

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

// JobDef is one revision of a job definition.
type JobDef struct {
	Name, Arn, Status string
	Revision          int
	Input             *batch.RegisterJobDefinitionInput
}

// Job is a Batch job a fake execution ran.
type Job struct {
	ID, Name, Status, LogStream string
}

// LogEvent is a CloudWatch Logs event.
type LogEvent struct {
	Timestamp time.Time
	Message   string
}

// New starts a fake on 127.0.0.1.
func New() *Fake {
	f := &Fake{now: Epoch, faults: map[string][]fault{}, machines: map[string]*Machine{}, execs: map[string]*Execution{},
		jobDefs: map[string][]*JobDef{}, schedules: map[string]*scheduler.GetScheduleOutput{}, jobs: map[string]*Job{}, logs: map[string][]LogEvent{}, queues: map[string][]string{},
		rules: map[string]*Rule{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("awstest: listen on loopback: %v", err))
	}
	f.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: f}}
	f.srv.Start()
	f.URL = f.srv.URL
	return f
}

// AddQueue adds a job queue with one compute environment per type given
// (EC2, SPOT, FARGATE or FARGATE_SPOT), named <queue>-<i> (from 1).
// DescribeJobQueues answers only the queues added, as AWS answers only those
// that exist.
func (f *Fake) AddQueue(name string, computeTypes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queues[name] = computeTypes
}

func queueArn(name string) string {
	return fmt.Sprintf("arn:aws:batch:%s:%s:job-queue/%s", Region, Account, name)
}

func computeEnvArn(name string) string {
	return fmt.Sprintf("arn:aws:batch:%s:%s:compute-environment/%s", Region, Account, name)
}

// Close stops the server.
func (f *Fake) Close() { f.srv.Close() }

// Fail makes the next times requests of op (e.g. "CreateStateMachine")
// fail with the AWS error code (e.g. "ThrottlingException"), answered with
// the HTTP status AWS uses for it.
func (f *Fake) Fail(op, code string, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < times; i++ {
		f.faults[op] = append(f.faults[op], fault{code: code, status: statusOf(code), message: "injected " + code})
	}
}

// FailWith makes the next request of op fail with the AWS error code,
// the HTTP status and the message given: an answer as AWS words it (e.g.
// Batch's 403 AccessDeniedException naming the action it refused).
func (f *Fake) FailWith(op, code string, status int, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[op] = append(f.faults[op], fault{code: code, status: status, message: message})
}

// FailAfter makes the next times requests of op apply and then answer with
// the AWS error code, as when the response is lost on the way back (the
// SDK retries the request).
func (f *Fake) FailAfter(op, code string, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < times; i++ {
		f.faults[op] = append(f.faults[op], fault{code: code, status: statusOf(code), message: "injected " + code + " after the operation", after: true})
	}
}

func statusOf(code string) int {
	switch code {
	case "ThrottlingException", "TooManyRequestsException":
		return 400
	case "ResourceNotFoundException":
		return 404
	case "ConflictException":
		return 409
	case "InternalServerException", "ServerException":
		return 500
	}
	return 400
}

// Requests returns every request received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.reqs...)
}

// Writes returns "service Op" for every request that changes something.
func (f *Fake) Writes() []string {
	var out []string
	for _, r := range f.Requests() {
		if r.Write() {
			out = append(out, r.Service+" "+r.Op)
		}
	}
	return out
}

// Count returns how many requests of op were received.
func (f *Fake) Count(op string) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Op == op {
			n++
		}
	}
	return n
}

// Reset forgets the recorded requests (not the state).
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = nil
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

// JobDefinitions returns the names of the registered job definitions.
func (f *Fake) JobDefinitions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.jobDefs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// JobDefinitionInput returns the registration of the latest revision of a
// job definition, or nil.
func (f *Fake) JobDefinitionInput(name string) *batch.RegisterJobDefinitionInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	revs := f.jobDefs[name]
	if len(revs) == 0 {
		return nil
	}
	return revs[len(revs)-1].Input
}

// Schedule returns a schedule of the default group, or nil.
func (f *Fake) Schedule(name string) *scheduler.GetScheduleOutput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.schedules["default/"+name]
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

func (f *Fake) tick() time.Time {
	f.now = f.now.Add(time.Second)
	return f.now
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

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// ServeHTTP dispatches a request to its service.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "AWSStepFunctions."):
		f.serve(w, SFN, strings.TrimPrefix(target, "AWSStepFunctions."), body, nil)
	case strings.HasPrefix(target, "AWSEvents."):
		f.serve(w, Events, strings.TrimPrefix(target, "AWSEvents."), body, nil)
	case strings.HasPrefix(target, "Logs_20140328."):
		f.serve(w, Logs, strings.TrimPrefix(target, "Logs_20140328."), body, nil)
	case strings.HasPrefix(r.URL.Path, "/v1/") && r.Method == http.MethodPost:
		f.serve(w, Batch, strings.TrimPrefix(r.URL.Path, "/v1/"), body, nil)
	case strings.HasPrefix(r.URL.Path, "/schedules/"):
		name, _ := url.PathUnescape(strings.TrimPrefix(r.URL.Path, "/schedules/"))
		op := map[string]string{"GET": "GetSchedule", "POST": "CreateSchedule", "PUT": "UpdateSchedule", "DELETE": "DeleteSchedule"}[r.Method]
		f.serve(w, Scheduler, op, body, &restArgs{name: name, query: r.URL.Query()})
	default:
		writeErr(w, SFN, 404, "UnknownOperationException", fmt.Sprintf("no operation for %s %s (target %q)", r.Method, r.URL.Path, target))
	}
}

type restArgs struct {
	name  string
	query url.Values
}

// apiErr is an AWS error answer.
type apiErr struct {
	status        int
	code, message string
}

func (e *apiErr) Error() string { return e.code + ": " + e.message }

func errf(status int, code, format string, args ...any) *apiErr {
	return &apiErr{status, code, fmt.Sprintf(format, args...)}
}

func writeErr(w http.ResponseWriter, service string, status int, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	ct := "application/x-amz-json-1.0"
	if service == Logs || service == Events {
		ct = "application/x-amz-json-1.1"
	} else if service == Batch || service == Scheduler {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	body := map[string]string{"__type": code, "message": msg}
	if service == Scheduler || service == Batch {
		body = map[string]string{"__type": code, "Message": msg, "message": msg}
	}
	json.NewEncoder(w).Encode(body)
}

// decode fills in (an SDK input struct) from body, refusing keys the type
// does not have.
func decode(body []byte, in any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return errf(400, "ValidationException", "request does not decode into %T: %v", in, err)
	}
	return nil
}

type handler struct {
	in  func() any
	run func(f *Fake, in any, rest *restArgs) (any, error)
}

func (f *Fake) serve(w http.ResponseWriter, service, op string, body []byte, rest *restArgs) {
	h, ok := handlers[service][op]
	if !ok {
		f.record(Request{Service: service, Op: op, Status: 400, Error: "UnknownOperationException"})
		writeErr(w, service, 400, "UnknownOperationException", "the fake does not implement "+service+" "+op)
		return
	}
	if f.Before != nil {
		f.Before(op)
	}
	in := h.in()
	err := decode(body, in)
	f.mu.Lock()
	var out any
	var after *fault
	if err == nil {
		if q := f.faults[op]; len(q) > 0 {
			f.faults[op] = q[1:]
			if q[0].after {
				after = &q[0]
			} else {
				err = &apiErr{q[0].status, q[0].code, q[0].message}
			}
		}
	}
	if err == nil {
		out, err = h.run(f, in, rest)
	}
	if err == nil && after != nil {
		err = &apiErr{after.status, after.code, after.message}
	}
	req := Request{Service: service, Op: op, Input: in, Status: 200}
	if ae, ok := err.(*apiErr); ok {
		req.Status, req.Error = ae.status, ae.code
	} else if err != nil {
		req.Status, req.Error = 500, "InternalFailure"
		err = &apiErr{500, "InternalFailure", err.Error()}
	}
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if err != nil {
		ae := err.(*apiErr)
		writeErr(w, service, ae.status, ae.code, ae.message)
		return
	}
	data, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	w.Write(data)
}

func (f *Fake) record(r Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, r)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

type m = map[string]any

var handlers = map[string]map[string]handler{
	SFN: {
		"ListStateMachines":    {func() any { return &sfn.ListStateMachinesInput{} }, (*Fake).listStateMachines},
		"DescribeStateMachine": {func() any { return &sfn.DescribeStateMachineInput{} }, (*Fake).describeStateMachine},
		"CreateStateMachine":   {func() any { return &sfn.CreateStateMachineInput{} }, (*Fake).createStateMachine},
		"UpdateStateMachine":   {func() any { return &sfn.UpdateStateMachineInput{} }, (*Fake).updateStateMachine},
		"DeleteStateMachine":   {func() any { return &sfn.DeleteStateMachineInput{} }, (*Fake).deleteStateMachine},
		"ListTagsForResource":  {func() any { return &sfn.ListTagsForResourceInput{} }, (*Fake).listTags},
		"TagResource":          {func() any { return &sfn.TagResourceInput{} }, (*Fake).tagResource},
		"StartExecution":       {func() any { return &sfn.StartExecutionInput{} }, (*Fake).startExecution},
		"ListExecutions":       {func() any { return &sfn.ListExecutionsInput{} }, (*Fake).listExecutions},
		"DescribeExecution":    {func() any { return &sfn.DescribeExecutionInput{} }, (*Fake).describeExecution},
		"GetExecutionHistory":  {func() any { return &sfn.GetExecutionHistoryInput{} }, (*Fake).getExecutionHistory},
		"StopExecution":        {func() any { return &sfn.StopExecutionInput{} }, (*Fake).stopExecution},
		"RedriveExecution":     {func() any { return &sfn.RedriveExecutionInput{} }, (*Fake).redriveExecution},
	},
	Batch: {
		"describejobdefinitions":      {func() any { return &batch.DescribeJobDefinitionsInput{} }, (*Fake).describeJobDefinitions},
		"registerjobdefinition":       {func() any { return &batch.RegisterJobDefinitionInput{} }, (*Fake).registerJobDefinition},
		"describejobs":                {func() any { return &batch.DescribeJobsInput{} }, (*Fake).describeJobs},
		"describejobqueues":           {func() any { return &batch.DescribeJobQueuesInput{} }, (*Fake).describeJobQueues},
		"describecomputeenvironments": {func() any { return &batch.DescribeComputeEnvironmentsInput{} }, (*Fake).describeComputeEnvironments},
	},
	Scheduler: {
		"GetSchedule":    {func() any { return &scheduler.GetScheduleInput{} }, (*Fake).getSchedule},
		"CreateSchedule": {func() any { return &scheduler.CreateScheduleInput{} }, (*Fake).createSchedule},
		"UpdateSchedule": {func() any { return &scheduler.UpdateScheduleInput{} }, (*Fake).updateSchedule},
		"DeleteSchedule": {func() any { return &scheduler.DeleteScheduleInput{} }, (*Fake).deleteSchedule},
	},
	Events: {
		"ListRules":         {func() any { return &eventbridge.ListRulesInput{} }, (*Fake).listRules},
		"DescribeRule":      {func() any { return &eventbridge.DescribeRuleInput{} }, (*Fake).describeRule},
		"PutRule":           {func() any { return &eventbridge.PutRuleInput{} }, (*Fake).putRule},
		"DeleteRule":        {func() any { return &eventbridge.DeleteRuleInput{} }, (*Fake).deleteRule},
		"ListTargetsByRule": {func() any { return &eventbridge.ListTargetsByRuleInput{} }, (*Fake).listTargetsByRule},
		"PutTargets":        {func() any { return &eventbridge.PutTargetsInput{} }, (*Fake).putTargets},
		"RemoveTargets":     {func() any { return &eventbridge.RemoveTargetsInput{} }, (*Fake).removeTargets},
		"PutEvents":         {func() any { return &eventbridge.PutEventsInput{} }, (*Fake).putEvents},
	},
	Logs: {
		"GetLogEvents": {func() any { return &cloudwatchlogs.GetLogEventsInput{} }, (*Fake).getLogEvents},
	},
}

// ---- Step Functions

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

// ---- Batch

func (f *Fake) describeJobDefinitions(in any, _ *restArgs) (any, error) {
	req := in.(*batch.DescribeJobDefinitionsInput)
	var out []m
	for _, jd := range f.jobDefs[str(req.JobDefinitionName)] {
		if str(req.Status) != "" && jd.Status != str(req.Status) {
			continue
		}
		out = append(out, m{"jobDefinitionName": jd.Name, "jobDefinitionArn": jd.Arn, "revision": jd.Revision, "status": jd.Status, "type": "container"})
	}
	return m{"jobDefinitions": out}, nil
}

func (f *Fake) registerJobDefinition(in any, _ *restArgs) (any, error) {
	req := in.(*batch.RegisterJobDefinitionInput)
	name := str(req.JobDefinitionName)
	if name == "" || req.Type == "" {
		return nil, errf(400, "ClientException", "jobDefinitionName and type are required")
	}
	if req.ContainerProperties == nil || str(req.ContainerProperties.Image) == "" {
		return nil, errf(400, "ClientException", "containerProperties.image is required")
	}
	rev := len(f.jobDefs[name]) + 1
	jd := &JobDef{Name: name, Revision: rev, Status: "ACTIVE", Input: req,
		Arn: fmt.Sprintf("arn:aws:batch:%s:%s:job-definition/%s:%d", Region, Account, name, rev)}
	f.jobDefs[name] = append(f.jobDefs[name], jd)
	return m{"jobDefinitionName": name, "jobDefinitionArn": jd.Arn, "revision": rev}, nil
}

func (f *Fake) describeJobs(in any, _ *restArgs) (any, error) {
	var out []m
	for _, id := range in.(*batch.DescribeJobsInput).Jobs {
		if j, ok := f.jobs[id]; ok {
			out = append(out, m{"jobId": j.ID, "jobName": j.Name, "jobQueue": "queue", "status": j.Status, "jobDefinition": "def",
				"startedAt": Epoch.UnixMilli(), "container": m{"logStreamName": j.LogStream}})
		}
	}
	return m{"jobs": out}, nil
}

func (f *Fake) describeJobQueues(in any, _ *restArgs) (any, error) {
	out := []m{}
	for _, q := range in.(*batch.DescribeJobQueuesInput).JobQueues {
		name := strings.TrimPrefix(q, queueArn(""))
		types, ok := f.queues[name]
		if !ok {
			continue
		}
		order := []m{}
		for i := range types {
			order = append(order, m{"order": i + 1, "computeEnvironment": computeEnvArn(fmt.Sprintf("%s-%d", name, i+1))})
		}
		out = append(out, m{"jobQueueName": name, "jobQueueArn": queueArn(name), "state": "ENABLED", "status": "VALID", "priority": 1,
			"computeEnvironmentOrder": order})
	}
	return m{"jobQueues": out}, nil
}

func (f *Fake) describeComputeEnvironments(in any, _ *restArgs) (any, error) {
	out := []m{}
	for _, ce := range in.(*batch.DescribeComputeEnvironmentsInput).ComputeEnvironments {
		name := strings.TrimPrefix(ce, computeEnvArn(""))
		i := strings.LastIndexByte(name, '-')
		if i < 0 {
			continue
		}
		n, err := strconv.Atoi(name[i+1:])
		types := f.queues[name[:i]]
		if err != nil || n < 1 || n > len(types) {
			continue
		}
		out = append(out, m{"computeEnvironmentName": name, "computeEnvironmentArn": computeEnvArn(name), "type": "MANAGED",
			"state": "ENABLED", "status": "VALID", "computeResources": m{"type": types[n-1], "maxvCpus": 256, "subnets": []string{"subnet-1"}}})
	}
	return m{"computeEnvironments": out}, nil
}

// ---- Scheduler

func schedKey(in *restArgs) string {
	g := in.query.Get("groupName")
	if g == "" {
		g = "default"
	}
	return g + "/" + in.name
}

func (f *Fake) getSchedule(in any, rest *restArgs) (any, error) {
	s, ok := f.schedules[schedKey(rest)]
	if !ok {
		return nil, errf(404, "ResourceNotFoundException", "Schedule %s does not exist.", rest.name)
	}
	return scheduleJSON(s), nil
}

func scheduleJSON(s *scheduler.GetScheduleOutput) m {
	t := m{"Arn": str(s.Target.Arn), "RoleArn": str(s.Target.RoleArn)}
	if s.Target.Input != nil {
		t["Input"] = *s.Target.Input
	}
	if d := s.Target.DeadLetterConfig; d != nil {
		t["DeadLetterConfig"] = m{"Arn": str(d.Arn)}
	}
	out := m{"Arn": str(s.Arn), "Name": str(s.Name), "GroupName": str(s.GroupName), "ScheduleExpression": str(s.ScheduleExpression),
		"State": string(s.State), "FlexibleTimeWindow": m{"Mode": string(s.FlexibleTimeWindow.Mode)}, "Target": t}
	if s.ScheduleExpressionTimezone != nil {
		out["ScheduleExpressionTimezone"] = *s.ScheduleExpressionTimezone
	}
	if s.Description != nil {
		out["Description"] = *s.Description
	}
	return out
}

func (f *Fake) putSchedule(rest *restArgs, expr, tz, desc *string, state string, fw any, target any, create bool) (any, error) {
	key := schedKey(rest)
	_, exists := f.schedules[key]
	switch {
	case create && exists:
		return nil, errf(409, "ConflictException", "Schedule %s already exists.", rest.name)
	case !create && !exists:
		return nil, errf(404, "ResourceNotFoundException", "Schedule %s does not exist.", rest.name)
	}
	if str(expr) == "" || fw == nil || target == nil {
		return nil, errf(400, "ValidationException", "ScheduleExpression, FlexibleTimeWindow and Target are required")
	}
	s := &scheduler.GetScheduleOutput{}
	data, _ := json.Marshal(m{"ScheduleExpression": expr, "ScheduleExpressionTimezone": tz, "Description": desc, "State": state, "FlexibleTimeWindow": fw, "Target": target})
	if err := json.Unmarshal(data, s); err != nil {
		return nil, err
	}
	group, _, _ := strings.Cut(key, "/")
	arn := fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/%s/%s", Region, Account, group, rest.name)
	s.Arn, s.Name, s.GroupName = &arn, &rest.name, &group
	if s.State == "" {
		s.State = "ENABLED"
	}
	if s.Target == nil || str(s.Target.Arn) == "" || str(s.Target.RoleArn) == "" {
		return nil, errf(400, "ValidationException", "Target.Arn and Target.RoleArn are required")
	}
	f.schedules[key] = s
	return m{"ScheduleArn": arn}, nil
}

func (f *Fake) createSchedule(in any, rest *restArgs) (any, error) {
	r := in.(*scheduler.CreateScheduleInput)
	return f.putSchedule(rest, r.ScheduleExpression, r.ScheduleExpressionTimezone, r.Description, string(r.State), r.FlexibleTimeWindow, r.Target, true)
}

func (f *Fake) updateSchedule(in any, rest *restArgs) (any, error) {
	r := in.(*scheduler.UpdateScheduleInput)
	return f.putSchedule(rest, r.ScheduleExpression, r.ScheduleExpressionTimezone, r.Description, string(r.State), r.FlexibleTimeWindow, r.Target, false)
}

func (f *Fake) deleteSchedule(in any, rest *restArgs) (any, error) {
	key := schedKey(rest)
	if _, ok := f.schedules[key]; !ok {
		return nil, errf(404, "ResourceNotFoundException", "Schedule %s does not exist.", rest.name)
	}
	delete(f.schedules, key)
	return m{}, nil
}

// ---- CloudWatch Logs

func (f *Fake) getLogEvents(in any, _ *restArgs) (any, error) {
	req := in.(*cloudwatchlogs.GetLogEventsInput)
	evs, ok := f.logs[str(req.LogGroupName)+"\x00"+str(req.LogStreamName)]
	if !ok {
		return nil, errf(400, "ResourceNotFoundException", "The specified log stream does not exist.")
	}
	// One event per page; the last page repeats its token, as AWS does.
	start := 0
	if t := str(req.NextToken); t != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(t, "f/"))
	}
	end := min(start+1, len(evs))
	var out []m
	for _, e := range evs[start:end] {
		out = append(out, m{"timestamp": e.Timestamp.UnixMilli(), "message": e.Message, "ingestionTime": e.Timestamp.UnixMilli()})
	}
	return m{"events": out, "nextForwardToken": "f/" + strconv.Itoa(end), "nextBackwardToken": "b/0"}, nil
}
