package batchrun

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/stepflow/stepflow/internal/runner"
	"github.com/stepflow/stepflow/internal/task"
)

// watch follows one submitted job until it ends.
type watch struct {
	e     *Executor
	j     *runner.Job
	id    string
	group string

	status  batchtypes.JobStatus
	running time.Time // when it was first seen RUNNING
	stream  string    // its CloudWatch log stream, once known
	token   *string   // the next GetLogEvents page
	kept    bytes.Buffer
	why     string // why the executor terminated it
	stopAt  time.Time
}

func (w *watch) poll() time.Duration {
	if w.e.Poll > 0 {
		return w.e.Poll
	}
	return DefaultPoll
}

// wait polls DescribeJobs (and the job's log) until the job is SUCCEEDED
// or FAILED. It terminates the job when ctx is cancelled or the step's
// timeout and its grace are over, then waits for it to stop, up to
// StopWait.
func (w *watch) wait(ctx context.Context) (*batchtypes.JobDetail, error) {
	bg := context.WithoutCancel(ctx)
	tick := time.NewTicker(w.poll())
	defer tick.Stop()
	timeout := w.j.Step.Step.Options.Timeout
	grace := w.e.Grace
	if grace <= 0 {
		grace = task.KillGrace
	}
	done := ctx.Done()
	for {
		select {
		case <-done:
			done = nil // terminate once, then keep polling until it stops
			w.terminate(bg, "the local run was interrupted")
		case <-tick.C:
		}
		job, err := w.describe(bg)
		if err != nil {
			return nil, err
		}
		w.readLogs(bg)
		if job.Status == batchtypes.JobStatusSucceeded || job.Status == batchtypes.JobStatusFailed {
			return job, nil
		}
		if timeout > 0 && !w.running.IsZero() && w.why == "" && time.Since(w.running) > timeout+grace {
			w.terminate(bg, fmt.Sprintf("step timeout %s exceeded", timeout))
		}
		if !w.stopAt.IsZero() && time.Now().After(w.stopAt) {
			w.why += fmt.Sprintf("; it was still %s %s after TerminateJob", job.Status, w.stopWait())
			return job, nil
		}
	}
}

func (w *watch) stopWait() time.Duration {
	if w.e.StopWait > 0 {
		return w.e.StopWait
	}
	return DefaultStopWait
}

// terminate asks AWS Batch to stop the job (a job not yet running is
// cancelled, a running one's container stopped).
func (w *watch) terminate(ctx context.Context, why string) {
	if w.why != "" {
		return
	}
	w.why = "terminated: " + why
	w.stopAt = time.Now().Add(w.stopWait())
	if _, err := w.e.Batch.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(w.id), Reason: aws.String("Stepflow: " + why)}); err != nil {
		w.e.output(w.j, fmt.Sprintf("AWS Batch job %s: TerminateJob failed: %v\n", w.id, err))
		return
	}
	w.e.output(w.j, fmt.Sprintf("AWS Batch job %s: terminating (%s)\n", w.id, why))
}

// describe reads the job's state and reports a change.
func (w *watch) describe(ctx context.Context) (*batchtypes.JobDetail, error) {
	out, err := w.e.Batch.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{w.id}})
	if err != nil {
		return nil, fmt.Errorf("describe AWS Batch job %s of %s: %w", w.id, w.j.Pathspec(), err)
	}
	if len(out.Jobs) == 0 {
		return nil, fmt.Errorf("AWS Batch does not know job %s of %s (DescribeJobs returned nothing)", w.id, w.j.Pathspec())
	}
	job := &out.Jobs[0]
	if job.Status != w.status {
		w.status = job.Status
		if r, ok := w.e.reporter().(runner.RemoteReporter); ok {
			r.TaskRemote(w.j, string(job.Status))
		}
	}
	if job.Status == batchtypes.JobStatusRunning && w.running.IsZero() {
		w.running = time.Now()
	}
	if c := job.Container; c != nil && w.stream == "" {
		w.stream = aws.ToString(c.LogStreamName)
		if lc := c.LogConfiguration; lc != nil && lc.LogDriver == batchtypes.LogDriverAwslogs && lc.Options["awslogs-group"] != "" {
			w.group = lc.Options["awslogs-group"]
		}
	}
	return job, nil
}

// readLogs passes the job's new log events on, line by line. A failed
// read is tried again at the next poll: the output is a convenience, the
// job saves its own logs with its attempt.
func (w *watch) readLogs(ctx context.Context) {
	if w.stream == "" {
		return
	}
	for {
		in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(w.group), LogStreamName: aws.String(w.stream), NextToken: w.token}
		if w.token == nil {
			in.StartFromHead = aws.Bool(true)
		}
		page, err := w.e.Logs.GetLogEvents(ctx, in)
		if err != nil {
			return
		}
		for _, ev := range page.Events {
			msg := aws.ToString(ev.Message)
			if !strings.HasSuffix(msg, "\n") {
				msg += "\n"
			}
			w.line(msg)
		}
		next := page.NextForwardToken
		// The last page repeats its forward token.
		if next == nil || (w.token != nil && aws.ToString(next) == aws.ToString(w.token)) || len(page.Events) == 0 {
			if next != nil {
				w.token = next
			}
			return
		}
		w.token = next
	}
}

func (w *watch) line(s string) {
	if w.kept.Len() < maxKeptLog {
		w.kept.WriteString(s)
	}
	w.e.output(w.j, s)
}
