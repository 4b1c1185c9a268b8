package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	localstore "github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/testproc"
)

// batchflow is the test flow of run --with batch: a foreach body and a
// heavy step on AWS Batch (stepflow.OnBatch), the rest local.
const batchflow = module + "/internal/aws/e2e/testdata/batchflow"

// batchAPI is the emulated AWS Batch and CloudWatch Logs as a service
// (sfn.cjs --serve), for run --with batch.
type batchAPI struct {
	url string
}

// startBatchAPI starts sfn.cjs --serve on a free loopback port; it stops
// with the test.
func (w *world) startBatchAPI(t *testing.T) *batchAPI {
	t.Helper()
	w.build(t, batchflow) // sets w.runner, the container runner
	env := map[string]string{}
	for k, v := range w.jobEnv {
		// The instance's credentials and endpoints; a local run's jobs
		// belong to no deployment.
		if k != "STEPFLOW_PRODUCTION_TOKEN" {
			env[k] = v
		}
	}
	dir := t.TempDir()
	p, url, err := w.serve("emulated AWS Batch", dir, env, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &batchAPI{url: url}
}

// batchJob is a job of the emulated Batch, as GET /jobs lists it.
type batchJob struct {
	JobID   string `json:"jobId"`
	JobName string `json:"jobName"`
	Status  string `json:"status"`
}

func (b *batchAPI) jobs(t *testing.T) []batchJob {
	t.Helper()
	resp, err := http.Get(b.url + "/jobs")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []batchJob
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

var submittedRE = regexp.MustCompile(`AWS Batch job (\S+) submitted to `)

// jobsOf are the jobs a run submitted, from the lines its output has for
// each (the subtests run side by side).
func (b *batchAPI) jobsOf(t *testing.T, out string) []batchJob {
	ids := map[string]bool{}
	for _, m := range submittedRE.FindAllStringSubmatch(out, -1) {
		ids[m[1]] = true
	}
	var jobs []batchJob
	for _, j := range b.jobs(t) {
		if ids[j.JobID] {
			jobs = append(jobs, j)
			delete(ids, j.JobID)
		}
	}
	if len(ids) > 0 {
		t.Errorf("the emulated Batch does not know jobs %v", ids)
	}
	return jobs
}

// cmd is a command of the flow binary with the settings of a developer
// whose stack is deployed: the region, the job queue, the flow image
// pushed before, the S3 datastore, and the endpoints of the emulators.
func (b *batchAPI) cmd(w *world, fp *flowPkg, home string, args ...string) *exec.Cmd {
	cmd := exec.Command(fp.bin, args...)
	cmd.Dir = repoRoot
	cmd.Env = []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TZ=UTC", "USER=dev",
		"AWS_ACCESS_KEY_ID=AKIDE2E", "AWS_SECRET_ACCESS_KEY=secrete2e", "AWS_EC2_METADATA_DISABLED=true",
		// Any client without its own endpoint fails here, never on AWS.
		"AWS_ENDPOINT_URL=http://127.0.0.1:9",
		"STEPFLOW_REGION=" + region,
		"STEPFLOW_DATASTORE_ROOT=s3://" + bucket + "/" + prefix,
		"STEPFLOW_BATCH_QUEUE=stepflow-queue",
		"STEPFLOW_BATCH_JOB_ROLE=arn:aws:iam::123456789012:role/stepflow-task",
		"STEPFLOW_BATCH_IMAGE=" + fp.image,
		"STEPFLOW_BATCH_ENDPOINT=" + b.url, "STEPFLOW_LOGS_ENDPOINT=" + b.url,
		"STEPFLOW_S3_ENDPOINT=" + w.s3URL,
		"STEPFLOW_BATCH_POLL=50ms",
	}
	return cmd
}

var runStarted = regexp.MustCompile(`(?m)^run (\S+) of \S+ started$`)

// runOf is the run id a run or resume printed.
func runOf(t *testing.T, out string) string {
	t.Helper()
	m := runStarted.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no run started:\n%s", out)
	}
	return m[1]
}

// TestRunWithBatch runs flows with run --with batch and stepflow.OnBatch
// against one emulated AWS Batch service: the examples' artifacts equal a
// local run's; a mixed run whose Batch step fails, and its resume; Ctrl-C
// during a Batch step; the logs of a running Batch step.
func TestRunWithBatch(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	api := w.startBatchAPI(t)

	t.Run("examples", func(t *testing.T) {
		t.Parallel()
		// A foreach, a branch and join, and params: a step's Env, a
		// retry with its failed attempts, a catch (each attempt a job).
		for ex, args := range map[string][]string{"foreach": nil, "branch": nil, "params": {"--name", "ada", "--count", "5"}} {
			t.Run(ex, func(t *testing.T) {
				t.Parallel()
				fp := w.build(t, module+"/examples/"+ex)
				lst, lrun := localRun(t, fp, args...)
				cmd := api.cmd(w, fp, t.TempDir(), append([]string{"run", "--with", "batch"}, args...)...)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("run --with batch: %v\n%s", err, out)
				}
				run := runOf(t, string(out))
				sameArtifacts(t, lst, lrun, w.store(fp), run)
				// Every task ran as a job, and recorded its job id.
				tasks := readTasks(t, lst, lrun)
				jobs := api.jobsOf(t, string(out))
				n := 0
				for _, j := range jobs {
					if j.Status != "SUCCEEDED" && j.Status != "FAILED" {
						t.Errorf("job %s (%s) is %s after the run", j.JobID, j.JobName, j.Status)
					}
				}
				for k := range tasks {
					step, task, _ := strings.Cut(k, "/")
					a, err := w.store(fp).Attempts().Latest(context.Background(), run, step, task)
					if err != nil {
						t.Fatal(err)
					}
					if a.Env["AWS_BATCH_JOB_ID"] == "" {
						t.Errorf("task %s records no AWS Batch job id: it did not run on Batch", k)
					}
					n++
				}
				attempts := 0
				for _, ts := range tasks {
					attempts += ts.attempt + 1
				}
				if n == 0 || len(jobs) != attempts {
					t.Fatalf("%d tasks of %d attempts, %d jobs: want one job per attempt", n, attempts, len(jobs))
				}
				if ex != "foreach" {
					return
				}
				// A resume uses the origin's --with: end runs again, on
				// AWS Batch, without --with given.
				out, err = api.cmd(w, fp, t.TempDir(), "resume", "--origin-run-id", run, "end").CombinedOutput()
				if err != nil {
					t.Fatalf("resume end: %v\n%s", err, out)
				}
				resumed := runOf(t, string(out))
				if got := len(api.jobsOf(t, string(out))); got != 1 {
					t.Errorf("the resume of a run --with batch submitted %d jobs, want 1 (end)\n%s", got, out)
				}
				a, err := w.store(fp).Attempts().Latest(context.Background(), resumed, "end", "0")
				if err != nil || a.Env["AWS_BATCH_JOB_ID"] == "" {
					t.Errorf("the resumed end: %+v %v; want it run on AWS Batch", a, err)
				}
			})
		}
	})

	t.Run("file-param", func(t *testing.T) {
		t.Parallel()
		// A 50 MiB local file, stored when the run starts, is read byte
		// for byte by both steps, each a job on Batch.
		fp := w.build(t, fileflow)
		big, sum := randomFile(t, 50<<20, 3)
		out, err := api.cmd(w, fp, t.TempDir(), "run", "--with", "batch", "--data", big).CombinedOutput()
		if err != nil {
			t.Fatalf("run --with batch --data: %v\n%s", err, out)
		}
		run := runOf(t, string(out))
		checkFileReached(t, w.store(fp), run, "data", "Data", sum, 50<<20)
		if jobs := api.jobsOf(t, string(out)); len(jobs) != 2 {
			t.Errorf("%d jobs, want 2 (start and end on Batch)", len(jobs))
		}
	})

	t.Run("mixed-and-resume", func(t *testing.T) {
		t.Parallel()
		fp := w.build(t, batchflow)
		home := t.TempDir()
		cmd := api.cmd(w, fp, home, "run", "--work-fail", "2")
		cmd.Env = append(cmd.Env, "BATCHFLOW_FAIL=1")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("the run whose heavy step fails on Batch: %v, want exit status 1\n%s", err, out)
		}
		run := runOf(t, string(out))
		st := w.store(fp)
		ctx := context.Background()
		// Batch attempts are Stepflow attempts: item 2's work failed its
		// attempt 0 on Batch and succeeded as attempt 1, both jobs.
		for attempt, status := range []string{datastore.StatusFailed, datastore.StatusSucceeded} {
			a, err := st.Attempts().Get(ctx, run, "work", "1", attempt)
			if err != nil {
				t.Fatalf("work/1 attempt %d: %v", attempt, err)
			}
			if a.Status != status || a.Env["AWS_BATCH_JOB_ID"] == "" {
				t.Errorf("work/1 attempt %d: %s, job %q; want %s on AWS Batch", attempt, a.Status, a.Env["AWS_BATCH_JOB_ID"], status)
			}
		}
		// The local steps ran here (no job id); heavy failed on Batch.
		for _, task := range []string{"start/0", "join/0", "prep/0"} {
			step, id, _ := strings.Cut(task, "/")
			a, err := st.Attempts().Latest(ctx, run, step, id)
			if err != nil || a.Status != datastore.StatusSucceeded || a.Env["AWS_BATCH_JOB_ID"] != "" {
				t.Errorf("%s: %+v %v; want a local success", task, a, err)
			}
		}
		heavy, err := st.Attempts().Latest(ctx, run, "heavy", "0")
		if err != nil || heavy.Status != datastore.StatusFailed || !strings.Contains(heavy.Error, "heavy failure") || heavy.Env["AWS_BATCH_JOB_ID"] == "" {
			t.Fatalf("heavy: %+v %v; want its failure on Batch", heavy, err)
		}
		// The output of the Batch jobs reached the terminal, and so did
		// heavy's job status, from DescribeJobs.
		for _, want := range []string{"work on item 2, attempt 1", run + "/heavy/0: AWS Batch job RUNNING\n", run + "/heavy/0: AWS Batch job FAILED\n"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("the run's output lacks %q:\n%s", want, out)
			}
		}
		if got := len(api.jobsOf(t, string(out))); got != 5 {
			t.Errorf("the run submitted %d jobs, want 5 (3 work tasks, a retry, heavy)", got)
		}

		// Resume from prep without BATCHFLOW_FAIL: what finished on Batch
		// (work) and locally (start, join) is reused; prep, heavy (one
		// more job) and end run.
		out, err = api.cmd(w, fp, home, "resume", "--origin-run-id", run, "prep").CombinedOutput()
		if err != nil {
			t.Fatalf("resume: %v\n%s", err, out)
		}
		resumed := runOf(t, string(out))
		if got := len(api.jobsOf(t, string(out))); got != 1 {
			t.Errorf("the resume submitted %d jobs, want 1 (heavy)", got)
		}
		// The same run and resume on this machine alone.
		dir := t.TempDir()
		local := func(fail bool, args ...string) string {
			cmd := exec.Command(fp.bin, append(args, "--datastore-root", dir, "--with", "local")...)
			cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
			if fail {
				cmd.Env = append(cmd.Env, "BATCHFLOW_FAIL=1")
			}
			out, err := cmd.CombinedOutput()
			if (err != nil) != fail {
				t.Fatalf("local %v: %v\n%s", args, err, out)
			}
			return runOf(t, string(out))
		}
		lrun := local(true, "run", "--work-fail", "2")
		lresumed := local(false, "resume", "--origin-run-id", lrun, "prep")
		b, err := localstore.New(dir, localstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sameArtifacts(t, datastore.NewStore(b, fp.flow), lresumed, st, resumed)
	})

	t.Run("interrupt-and-logs", func(t *testing.T) {
		t.Parallel()
		fp := w.build(t, batchflow)
		cmd := api.cmd(w, fp, t.TempDir(), "run", "--n", "1", "--sleep", "60s")
		var out testproc.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		defer func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				<-done
			}
		}()
		// The heavy job's first line comes through CloudWatch Logs to the
		// terminal, then through the datastore to logs, while it runs.
		waitFor(t, 60*time.Second, "heavy's line in the run's output", func() bool { return strings.Contains(out.String(), "heavy starts") }, &out)
		run := runOf(t, out.String())
		var logs string
		waitFor(t, 30*time.Second, "heavy's line in logs", func() bool {
			b, _ := api.cmd(w, fp, t.TempDir(), "logs", run+"/heavy/0").CombinedOutput()
			logs = string(b)
			return strings.Contains(logs, "heavy starts")
		}, &out)
		var running []batchJob
		for _, j := range api.jobsOf(t, out.String()) {
			if j.Status == "RUNNING" {
				running = append(running, j)
			}
		}
		if len(running) != 1 || !strings.HasPrefix(running[0].JobName, "BatchFlow-heavy-") {
			t.Fatalf("jobs running before Ctrl-C: %+v, want heavy's", running)
		}
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("the interrupted run exited 0:\n%s", out.String())
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("the run did not stop within 60 s of SIGINT:\n%s", out.String())
		}
		jobs := api.jobsOf(t, out.String())
		if len(jobs) != 2 { // work's one item, heavy
			t.Errorf("the run submitted %d jobs, want 2: %+v", len(jobs), jobs)
		}
		for _, j := range jobs {
			if j.Status != "SUCCEEDED" && j.Status != "FAILED" {
				t.Errorf("job %s (%s) is %s after Ctrl-C", j.JobID, j.JobName, j.Status)
			}
		}
		_, end, err := w.store(fp).Runs().Get(context.Background(), run)
		if err != nil || end == nil || end.Status != datastore.StatusFailed || !strings.Contains(end.Error, "interrupted") {
			t.Errorf("the run's end: %+v %v; want failed, interrupted", end, err)
		}
	})

	t.Run("local-root-refused", func(t *testing.T) {
		t.Parallel()
		fp := w.build(t, module+"/examples/hello")
		out, err := api.cmd(w, fp, t.TempDir(), "run", "--with", "batch", "--datastore-root", t.TempDir()).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Fatalf("run --with batch with a local root: %v, want exit status 2\n%s", err, out)
		}
		if !strings.Contains(string(out), "which AWS Batch jobs cannot reach: give an S3 one, --datastore-root s3://BUCKET/PREFIX") {
			t.Errorf("message:\n%s", out)
		}
		if strings.Contains(string(out), "submitted") {
			t.Errorf("a job was submitted:\n%s", out)
		}
	})
}

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, out *testproc.Buffer) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v; the run's output:\n%s", what, d, out.String())
		}
	}
}
