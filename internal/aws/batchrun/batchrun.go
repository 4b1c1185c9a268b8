// Package batchrun runs tasks of a local run as AWS Batch jobs (run --with
// batch, stepflow.OnBatch): one job per attempt, submitted with the task
// contract's step command as its command, watched with DescribeJobs until
// it ends, its output streamed from CloudWatch Logs, and its attempt record
// read back from the S3 datastore the job wrote it to. The local runtime
// (internal/runner) keeps the scheduling: retries, catch, foreach widths,
// resume. docs/runtime.md, "Steps on AWS Batch", describes it.
package batchrun

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/runner"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/taskcontract"
)

// BatchAPI is the part of the AWS Batch API the executor calls.
type BatchAPI interface {
	SubmitJob(ctx context.Context, in *batch.SubmitJobInput, opts ...func(*batch.Options)) (*batch.SubmitJobOutput, error)
	DescribeJobs(ctx context.Context, in *batch.DescribeJobsInput, opts ...func(*batch.Options)) (*batch.DescribeJobsOutput, error)
	TerminateJob(ctx context.Context, in *batch.TerminateJobInput, opts ...func(*batch.Options)) (*batch.TerminateJobOutput, error)
}

// LogsAPI is the part of the CloudWatch Logs API the executor calls.
type LogsAPI interface {
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// Defaults of the executor's timing.
const (
	DefaultPoll     = 2 * time.Second
	DefaultStopWait = 2 * time.Minute
	// DefaultLogGroup is where AWS Batch's awslogs driver writes a job's
	// output unless its definition names another group.
	DefaultLogGroup = "/aws/batch/job"
	// maxKeptLog is how much of a job's output the executor keeps, to
	// save it with a failed record when the job wrote none.
	maxKeptLog = 1 << 20
)

// Executor runs one attempt of a task per Execute as an AWS Batch job. It
// is a runner.ReportingExecutor.
type Executor struct {
	Batch BatchAPI
	Logs  LogsAPI
	// Store is the run's datastore: the S3 one at Root, which the jobs
	// write their records and logs to.
	Store *datastore.Store
	Flow  string
	// Root is the datastore root the jobs are given (s3://bucket/prefix).
	Root string
	// Definition is the fingerprint of the flow definition the runtime
	// linted (the step command's --definition).
	Definition string
	// Steps are the job definition and queue of each step submitted.
	Steps map[string]Step
	// Resources override the job definitions' VCPU, MEMORY and GPU
	// (--with batch:cpu=...,memory=...,gpu=...); empty: theirs.
	Resources []batchtypes.ResourceRequirement
	// Poll is the period of DescribeJobs and GetLogEvents; 0: DefaultPoll.
	Poll time.Duration
	// Grace is the time a job gets after its step's timeout before it is
	// terminated; 0: task.KillGrace (the job enforces the timeout itself).
	Grace time.Duration
	// StopWait bounds the wait for a terminated job to stop (Ctrl-C,
	// timeout); 0: DefaultStopWait.
	StopWait time.Duration

	mu  sync.Mutex
	rep runner.Reporter
}

// Step is how one step's jobs are submitted.
type Step struct {
	JobDefinition string // name (or name:revision, or ARN)
	Queue         string
	LogGroup      string // "": DefaultLogGroup
}

// Report implements runner.ReportingExecutor.
func (e *Executor) Report(r runner.Reporter) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rep = r
}

func (e *Executor) reporter() runner.Reporter {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rep
}

func (e *Executor) output(j *runner.Job, line string) {
	if r := e.reporter(); r != nil {
		r.Output(j, "stdout", []byte(line))
	}
}

// jobNameRE matches what AWS Batch does not accept in a job name.
var jobNameRE = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// JobName names the job of an attempt: flow-step-task-attempt, in the
// characters AWS Batch allows, at most 128 of them.
func JobName(flow string, j *runner.Job) string {
	n := jobNameRE.ReplaceAllString(fmt.Sprintf("%s-%s-%s-%d", flow, j.Step.Name, j.ID, j.Attempt), "_")
	if len(n) > 128 {
		n = n[:128]
	}
	return n
}

// maxCommand bounds the inputs in a job's command, and maxCaught the
// failure message a catch records: the container overrides of a job, at
// most 8,192 characters, hold the whole command.
const (
	maxCommand = 6 << 10
	maxCaught  = 1 << 10
)

// Invocation is the step command a job runs for j: the task contract's
// arguments, with the datastore root and the definition's fingerprint. The
// inputs of a join too wide for the job's command are left out: the task
// then derives them from the datastore, as a task of a deployed flow does;
// the failure a catch records is cut to its first 1,024 bytes.
func (e *Executor) Invocation(j *runner.Job) taskcontract.Invocation {
	inv := taskcontract.Invocation{Step: j.Step.Name, RunID: j.Run, TaskID: j.ID, Indices: j.Indices,
		Attempt: j.Attempt, Inputs: j.Inputs, Caught: j.Caught, DatastoreRoot: e.Root, Definition: e.Definition}
	if len(inv.Caught) > maxCaught {
		inv.Caught = strings.ToValidUTF8(inv.Caught[:maxCaught], "") + "..."
	}
	if inv.Inputs == nil {
		inv.Inputs = []string{}
	}
	size := 0
	for _, in := range inv.Inputs {
		size += len(in) + 1
	}
	if size > maxCommand {
		inv.Inputs = nil
	}
	return inv
}

// submitTimeout bounds one SubmitJob call (its retries included), which
// Ctrl-C does not cancel (see Execute).
const submitTimeout = 2 * time.Minute

// Execute submits the attempt j as a job and waits for it: its status
// changes and output go to the reporter; its record is the one the job
// wrote, or a failed one when it wrote none. A cancelled ctx (Ctrl-C)
// terminates the job and waits for it to stop.
func (e *Executor) Execute(ctx context.Context, j *runner.Job) (*datastore.Attempt, error) {
	st, ok := e.Steps[j.Step.Name]
	if !ok {
		return nil, fmt.Errorf("step %s has no AWS Batch job definition", j.Step.Name)
	}
	inv := e.Invocation(j)
	ov := &batchtypes.ContainerOverrides{Command: inv.Args(), ResourceRequirements: e.Resources}
	for k, v := range j.Step.Step.Options.Env {
		ov.Environment = append(ov.Environment, batchtypes.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
	}
	start := time.Now()
	if ctx.Err() != nil {
		return e.failed(j, start, -1, "interrupted before its AWS Batch job was submitted", nil)
	}
	// The submit is not cancelled by Ctrl-C: a request already sent may
	// create the job though its caller gave up on the answer, and a job
	// whose id is unknown here could not be terminated. A cancelled ctx
	// is seen by the wait below, which terminates the job.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), submitTimeout)
	out, err := e.Batch.SubmitJob(sctx, &batch.SubmitJobInput{
		JobName: aws.String(JobName(e.Flow, j)), JobQueue: aws.String(st.Queue), JobDefinition: aws.String(st.JobDefinition),
		ContainerOverrides: ov,
	})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("submit the AWS Batch job of %s: %w", j.Pathspec(), err)
	}
	id := aws.ToString(out.JobId)
	e.output(j, fmt.Sprintf("AWS Batch job %s submitted to %s\n", id, st.Queue))
	w := &watch{e: e, j: j, id: id, group: st.LogGroup}
	if w.group == "" {
		w.group = DefaultLogGroup
	}
	job, err := w.wait(ctx)
	if err != nil {
		return nil, err
	}
	bg := context.WithoutCancel(ctx)
	rec, err := e.Store.Attempts().Get(bg, j.Run, j.Step.Name, j.ID, j.Attempt)
	if err == nil {
		return &rec, nil
	}
	if !datastore.IsNotFound(err) {
		return nil, err
	}
	return e.failed(j, start, exitCode(job), describe(id, job, w.why), w.kept.Bytes())
}

// failed records a failed attempt for a job that wrote no record (it
// could not start, or was killed before its step command could write
// one), with the job's output as its stderr.
func (e *Executor) failed(j *runner.Job, start time.Time, code int, reason string, log []byte) (*datastore.Attempt, error) {
	bg := context.Background()
	spec := task.Spec{RunID: j.Run, Step: j.Step.Name, TaskID: j.ID, Indices: j.Indices, Attempt: j.Attempt, Inputs: j.Inputs}
	rec := task.CrashRecord(spec, start, code, reason)
	if len(log) > 0 {
		if err := e.Store.Logs().Put(bg, j.Run, j.Step.Name, j.ID, j.Attempt, "stderr", bytes.NewReader(log)); err != nil {
			return nil, fmt.Errorf("save the output of %s: %w", j.Pathspec(), err)
		}
	}
	if err := e.Store.Attempts().Put(bg, rec); err != nil {
		return nil, fmt.Errorf("record the failure of %s (%s): %w", j.Pathspec(), reason, err)
	}
	return &rec, nil
}

// exitCode is the job's container exit code, or -1.
func exitCode(job *batchtypes.JobDetail) int {
	if job != nil && job.Container != nil && job.Container.ExitCode != nil {
		return int(*job.Container.ExitCode)
	}
	return -1
}

// describe says how a job that wrote no record ended.
func describe(id string, job *batchtypes.JobDetail, why string) string {
	msg := "AWS Batch job " + id
	if job == nil {
		return msg + " " + why
	}
	msg += " " + string(job.Status)
	if why != "" {
		msg += " (" + why + ")"
	}
	if r := aws.ToString(job.StatusReason); r != "" {
		msg += ": " + r
	}
	if c := job.Container; c != nil {
		if r := aws.ToString(c.Reason); r != "" {
			msg += "; container: " + r
		}
		if c.ExitCode != nil {
			msg += "; exit status " + strconv.Itoa(int(*c.ExitCode))
		}
	}
	return msg + ", without recording the task's result"
}
