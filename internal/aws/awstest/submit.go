// The jobs of AWS Batch's SubmitJob and TerminateJob: a local run's steps
// on AWS Batch (run --with batch).

package awstest

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/batch"
)

// JobRunner runs a submitted job, in a goroutine of its own: it gets the
// SubmitJob input and the registration of its job definition, and returns
// the job's exit status and its output lines (its CloudWatch Logs events).
// The fake answers DescribeJobs RUNNING until it returns, then SUCCEEDED
// (exit status 0) or FAILED.
type JobRunner func(in *batch.SubmitJobInput, def *batch.RegisterJobDefinitionInput) (exit int, output []string)

// RunJobs makes SubmitJob run each job with run; without it a submitted
// job stays RUNNABLE until terminated.
func (f *Fake) RunJobs(run JobRunner) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runJob = run
}

// jobLogGroup is where the fake keeps a submitted job's output: AWS
// Batch's default awslogs group.
const jobLogGroup = "/aws/batch/job"

func (f *Fake) submitJob(in any, _ *restArgs) (any, error) {
	req := in.(*batch.SubmitJobInput)
	if str(req.JobName) == "" || str(req.JobQueue) == "" || str(req.JobDefinition) == "" {
		return nil, errf(400, "ClientException", "jobName, jobQueue and jobDefinition are required")
	}
	revs := f.jobDefs[str(req.JobDefinition)]
	if len(revs) == 0 {
		return nil, errf(400, "ClientException", "JobDefinition %s does not exist", str(req.JobDefinition))
	}
	def := revs[len(revs)-1].Input
	f.seq++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", f.seq)
	job := &Job{ID: id, Name: str(req.JobName), Status: "RUNNABLE", LogStream: str(req.JobDefinition) + "/default/" + id}
	f.jobs[id] = job
	if run := f.runJob; run != nil {
		job.Status = "RUNNING"
		go func() {
			code, lines := run(req, def)
			f.mu.Lock()
			defer f.mu.Unlock()
			key := jobLogGroup + "\x00" + job.LogStream
			for _, l := range lines {
				f.logs[key] = append(f.logs[key], LogEvent{Timestamp: f.tick(), Message: l})
			}
			if job.Status != "RUNNING" {
				return // terminated meanwhile
			}
			job.Status = "SUCCEEDED"
			if code != 0 {
				job.Status = "FAILED"
			}
		}()
	}
	return m{"jobArn": fmt.Sprintf("arn:aws:batch:%s:%s:job/%s", Region, Account, id), "jobName": job.Name, "jobId": id}, nil
}

func (f *Fake) terminateJob(in any, _ *restArgs) (any, error) {
	req := in.(*batch.TerminateJobInput)
	j, ok := f.jobs[str(req.JobId)]
	if !ok {
		return nil, errf(400, "ClientException", "Job %s does not exist", str(req.JobId))
	}
	if str(req.Reason) == "" {
		return nil, errf(400, "ClientException", "reason is required")
	}
	if j.Status != "SUCCEEDED" {
		j.Status = "FAILED"
	}
	return m{}, nil
}
