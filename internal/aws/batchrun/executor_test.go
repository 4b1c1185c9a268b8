package batchrun_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/stepflow/stepflow/internal/aws/awstest"
	"github.com/stepflow/stepflow/internal/aws/batchrun"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

// executor is an Executor on the loopback fake (AWS Batch's and CloudWatch
// Logs' protocols), with a local datastore, and the fake.
func executor(t *testing.T) (*batchrun.Executor, *awstest.Fake) {
	t.Helper()
	f := awstest.New()
	t.Cleanup(f.Close)
	cfg := aws.Config{Region: awstest.Region, Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	bc := batch.NewFromConfig(cfg, func(o *batch.Options) { o.BaseEndpoint = aws.String(f.URL) })
	lc := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(f.URL) })
	if _, err := bc.RegisterJobDefinition(context.Background(), &batch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("Flow-def"), Type: batchtypes.JobDefinitionTypeContainer,
		ContainerProperties: &batchtypes.ContainerProperties{Image: aws.String("flow@sha256:00")}}); err != nil {
		t.Fatal(err)
	}
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &batchrun.Executor{Batch: bc, Logs: lc, Store: datastore.NewStore(b, "Flow"), Flow: "Flow", Root: "s3://bucket/root",
		Steps: map[string]batchrun.Step{"train": {JobDefinition: "Flow-def", Queue: "queue"}},
		Poll:  10 * time.Millisecond, Grace: 50 * time.Millisecond, StopWait: 5 * time.Second}, f
}

// holdJobs keeps every job f runs running until the test ends.
func holdJobs(t *testing.T, f *awstest.Fake) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.RunJobs(func(*batch.SubmitJobInput, *batch.RegisterJobDefinitionInput) (int, []string) {
		<-release
		return 0, nil
	})
}

// A job that ends without writing its attempt record (its container could
// not start) gets a failed record naming the job, with the job's
// CloudWatch output saved as the attempt's stderr.
func TestJobWithoutRecord(t *testing.T) {
	e, f := executor(t)
	f.RunJobs(func(in *batch.SubmitJobInput, _ *batch.RegisterJobDefinitionInput) (int, []string) {
		return 125, []string{"ocirun: pull flow@sha256:00: not found"}
	})
	j := job("train", "0", 1, []string{"r/start/0"})
	rec, err := e.Execute(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != datastore.StatusFailed || rec.Attempt != 1 || !strings.Contains(rec.Error, "FAILED") || !strings.Contains(rec.Error, "without recording the task's result") {
		t.Errorf("record: %+v", rec)
	}
	rc, err := e.Store.Logs().Open(context.Background(), j.Run, "train", "0", 1, "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "ocirun: pull flow@sha256:00: not found\n" {
		t.Errorf("saved stderr %q", b)
	}
	if n := f.Count("terminatejob"); n != 0 {
		t.Errorf("%d TerminateJob calls for a job that ended", n)
	}
}

// A job still running its step's timeout plus the grace after it started
// is terminated, and its attempt recorded as failed with why.
func TestTimeoutTerminates(t *testing.T) {
	e, f := executor(t)
	holdJobs(t, f)
	j := job("train", "0", 0, nil)
	j.Step.Step.Options.Timeout = 100 * time.Millisecond
	start := time.Now()
	rec, err := e.Execute(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if f.Count("terminatejob") != 1 {
		t.Errorf("%d TerminateJob calls, want 1", f.Count("terminatejob"))
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("terminated after %v, before the timeout and its grace", d)
	}
	if rec.Status != datastore.StatusFailed || !strings.Contains(rec.Error, "terminated: step timeout 100ms exceeded") {
		t.Errorf("record: %+v", rec)
	}
}

// A cancelled context (Ctrl-C) terminates the job at once.
func TestCancelTerminates(t *testing.T) {
	e, f := executor(t)
	holdJobs(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	rec, err := e.Execute(ctx, job("train", "0", 0, nil))
	if err != nil {
		t.Fatal(err)
	}
	if f.Count("terminatejob") != 1 || rec.Status != datastore.StatusFailed || !strings.Contains(rec.Error, "the local run was interrupted") {
		t.Errorf("%d TerminateJob calls, record %+v", f.Count("terminatejob"), rec)
	}
}

// lateCancel is a Batch client on which Ctrl-C arrives while SubmitJob is
// in flight: the request reaches AWS Batch, which creates the job, and the
// context is cancelled before the answer is read.
type lateCancel struct {
	batchrun.BatchAPI
	cancel context.CancelFunc
}

func (c lateCancel) SubmitJob(ctx context.Context, in *batch.SubmitJobInput, opts ...func(*batch.Options)) (*batch.SubmitJobOutput, error) {
	out, err := c.BatchAPI.SubmitJob(context.Background(), in, opts...)
	c.cancel()
	if ctx.Err() != nil {
		return nil, ctx.Err() // what the SDK returns when its context ends mid-call
	}
	return out, err
}

// Ctrl-C while SubmitJob is in flight: the job it created is known and
// terminated, not left running with nobody to stop it.
func TestCancelDuringSubmitTerminates(t *testing.T) {
	e, f := executor(t)
	holdJobs(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	e.Batch = lateCancel{BatchAPI: e.Batch, cancel: cancel}
	rec, err := e.Execute(ctx, job("train", "0", 0, nil))
	if err != nil {
		t.Fatal(err)
	}
	if f.Count("submitjob") != 1 || f.Count("terminatejob") != 1 || rec.Status != datastore.StatusFailed {
		t.Errorf("%d SubmitJob, %d TerminateJob calls (want 1 and 1), record %+v", f.Count("submitjob"), f.Count("terminatejob"), rec)
	}
}
