package runner

import (
	"context"

	"github.com/stepflow/stepflow/internal/datastore"
)

// Remote says which steps' tasks run elsewhere than on this machine (AWS
// Batch jobs: run --with batch, stepflow.OnBatch), and with which
// executor. The scheduling (retries, catch, foreach width, resume) stays
// the runner's: Exec runs one attempt per call, like the local executors.
type Remote struct {
	Exec Executor
	// Steps are the steps Exec runs; nil: every step.
	Steps map[string]bool
}

// Runs says whether the remote executor runs step's tasks.
func (r *Remote) Runs(step string) bool { return r.Steps == nil || r.Steps[step] }

// A ReportingExecutor is given the run's reporter before its first task:
// it passes on its tasks' output (Reporter.Output) as it comes.
type ReportingExecutor interface {
	Executor
	Report(Reporter)
}

// A RemoteReporter is a Reporter also told the state of an attempt that
// runs elsewhere, as the remote executor sees it change: an AWS Batch
// job's status (SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, then
// SUCCEEDED or FAILED). The progress counts queued, starting and running
// jobs per step with it. Calls come from the executors' goroutines.
type RemoteReporter interface {
	Reporter
	TaskRemote(j *Job, status string)
}

// routed sends each task to the remote executor or the local one.
type routed struct {
	local  Executor
	remote *Remote
}

func (e *routed) Execute(ctx context.Context, j *Job) (*datastore.Attempt, error) {
	if e.remote.Runs(j.Step.Name) {
		return e.remote.Exec.Execute(ctx, j)
	}
	return e.local.Execute(ctx, j)
}
