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
//
// This file holds the server, the request routing and the fake's clock;
// each service has its own file: sfn.go, batch.go, scheduler.go, events.go
// (EventBridge) and logs.go.
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
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
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
	runJob     JobRunner // SubmitJob's (RunJobs)
}

type fault struct {
	code    string
	status  int
	message string
	after   bool // the operation applies; its answer is the error (a lost response)
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

func (f *Fake) tick() time.Time {
	f.now = f.now.Add(time.Second)
	return f.now
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
		"submitjob":                   {func() any { return &batch.SubmitJobInput{} }, (*Fake).submitJob},
		"terminatejob":                {func() any { return &batch.TerminateJobInput{} }, (*Fake).terminateJob},
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
