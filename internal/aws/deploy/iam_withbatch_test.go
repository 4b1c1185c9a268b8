package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/batch"
)

// The IAM coverage test of run --with batch: every AWS call a developer's
// run --with batch makes (the job definitions, the jobs, their logs, the
// S3 datastore) is an authorization the row "run --with batch" of
// docs/iam.md §1 grants. The fake runs each submitted job here, as the
// flow binary's step command with the job's command and environment,
// reaching the datastore through an S3 endpoint the test does not record:
// what a job does is the job role's (§2), not the developer's. A second
// run is interrupted while its first job runs, which it terminates.
func TestIAMCoversRunWithBatch(t *testing.T) {
	w := newIAMWorld(t)
	jobsS3 := httptest.NewServer(w.s3.next)
	t.Cleanup(jobsS3.Close)
	w.env = append(w.env, "STEPFLOW_BATCH_POLL=20ms")
	w.f.RunJobs(func(in *batch.SubmitJobInput, def *batch.RegisterJobDefinitionInput) (int, []string) {
		cmd := exec.Command(filepath.Join(binDir, "foreach"), in.ContainerOverrides.Command...)
		cmd.Dir = t.TempDir()
		cmd.Env = []string{"HOME=" + cmd.Dir, "AWS_ACCESS_KEY_ID=AKIDJOB", "AWS_SECRET_ACCESS_KEY=SECRET", "AWS_EC2_METADATA_DISABLED=true",
			"STEPFLOW_S3_ENDPOINT=" + jobsS3.URL, "STEPFLOW_S3_PATH_STYLE=true", "AWS_BATCH_JOB_ID=job"}
		for _, kv := range def.ContainerProperties.Environment {
			cmd.Env = append(cmd.Env, *kv.Name+"="+*kv.Value)
		}
		for _, kv := range in.ContainerOverrides.Environment {
			cmd.Env = append(cmd.Env, *kv.Name+"="+*kv.Value)
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var ee *exec.ExitError
		code := 0
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			return 127, []string{err.Error()}
		}
		return code, strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	})
	out, reqs, s3reqs := w.run(t, "foreach", "run", "--with", "batch")
	if !strings.Contains(out, "artifacts: ") {
		t.Fatalf("run --with batch did not succeed:\n%s", out)
	}

	// Ctrl-C while a job runs: the run terminates it.
	release := make(chan struct{})
	defer close(release)
	w.f.RunJobs(func(*batch.SubmitJobInput, *batch.RegisterJobDefinitionInput) (int, []string) {
		<-release
		return 1, nil
	})
	w.f.Reset()
	cmd := exec.Command(filepath.Join(binDir, "foreach"), "run", "--with", "batch")
	cmd.Env, cmd.Dir = w.env, w.dir
	var runOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &runOut, &runOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); w.f.Count("submitjob") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no job submitted within 30 s:\n%s", runOut.String())
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err == nil || w.f.Count("terminatejob") != 1 {
		t.Fatalf("run --with batch interrupted: %v, %d TerminateJob calls, want exit status 1 and 1\n%s", err, w.f.Count("terminatejob"), runOut.String())
	}
	reqs = append(reqs, w.f.Requests()...)
	s3reqs = append(s3reqs, w.s3.take()...)
	user := commandPolicies(t, "ForeachFlow")["run --with batch"]
	if len(user) == 0 {
		t.Fatal(`docs/iam.md §1 has no row "run --with batch"`)
	}
	var missing []string
	seen := map[string]bool{}
	need := func(c call) {
		seen[c.action] = true
		for _, m := range authorize(user, c, nil) {
			missing = append(missing, fmt.Sprintf("run --with batch: the row of docs/iam.md §1 lacks %s", m))
		}
	}
	for _, r := range reqs {
		userNeeds(w.f, r, need, func(c call) { t.Errorf("run --with batch made the Step Functions role call %s", c.action) })
	}
	for _, q := range s3reqs {
		need(q)
	}
	for _, k := range []string{"batch:RegisterJobDefinition", "batch:SubmitJob", "batch:DescribeJobs", "batch:TerminateJob", "logs:GetLogEvents", "iam:PassRole", "s3:PutObject", "s3:GetObject"} {
		if !seen[k] {
			t.Errorf("no call needed %s: the test does not exercise it", k)
		}
	}
	sort.Strings(missing)
	for _, m := range slicesCompact(missing) {
		t.Error(m)
	}
}
