package awssecrets_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/stepflow/stepflow/internal/secretleak"
	"github.com/stepflow/stepflow/internal/testbin"
)

const secretFlow = "github.com/stepflow/stepflow/internal/flowcmd/testdata/secretflow"

// planted is the value of secret db in the cloud tests.
const planted = "PLANTED-cloud-db-password/42"

// The tasks of a cloud run (the AWS build, as AWS Batch runs them:
// STEPFLOW_CAPTURE_LOGS=1) fetch their secrets from Secrets Manager (moto)
// when they start, and the value reaches the step but nothing the run
// wrote (datastore: artifacts, records, logs, card), the tasks' output,
// or the compiled state machine and job definitions. A secret that does
// not exist fails its task, naming it.
func TestCloudTaskSecrets(t *testing.T) {
	s := sharedMoto(t)
	createSecret(t, s, "prod/db", secretsmanager.CreateSecretInput{SecretString: aws.String(planted)})
	createSecret(t, s, "prod/api", secretsmanager.CreateSecretInput{SecretString: aws.String("api-value")})
	bin := testbin.MustBuild(t, testbin.Options{Tags: []string{"stepflow_aws"}}, "./internal/flowcmd/testdata/secretflow")[secretFlow]
	dir := t.TempDir()
	ds := filepath.Join(dir, "ds")
	out := map[string][]byte{}
	base := []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + s.URL}
	run := func(name string, env []string, args ...string) error {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(append([]string(nil), base...), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		out[name+" stdout"], out[name+" stderr"] = stdout.Bytes(), stderr.Bytes()
		if err != nil {
			return &runError{args: args, err: err, stderr: stderr.String()}
		}
		return nil
	}
	task := []string{"STEPFLOW_CAPTURE_LOGS=1", "STEPFLOW_DATASTORE_ROOT=" + ds}
	for _, step := range []string{"start", "connect", "end"} {
		args := []string{"step", step, "--run-id", "sfn-1"}
		if step == "start" {
			args = append(args, "--params", "{}")
		}
		if err := run(step, task, args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := run("dump", nil, "dump", "--datastore-root", ds, "--json", "sfn-1/connect/0", "DBLength"); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out["dump stdout"])); got != "28" {
		t.Fatalf("DBLength = %s, want 28 (len of the planted secret)", got)
	}

	// The compiled definition: the state machine and job definitions.
	settings := []string{"STEPFLOW_DATASTORE_ROOT=s3://bucket/root", "STEPFLOW_BATCH_QUEUE=queue",
		"STEPFLOW_IMAGE_REPOSITORY=123456789012.dkr.ecr.us-east-1.amazonaws.com/stepflow",
		"STEPFLOW_BATCH_JOB_ROLE=arn:aws:iam::123456789012:role/stepflow-task",
		"STEPFLOW_DYNAMODB_TABLE=stepflow"}
	if err := run("create --only-json", settings, "step-functions", "create", "--only-json", "--output-dir", filepath.Join(dir, "compiled")); err != nil {
		t.Fatal(err)
	}

	// A run whose secret does not exist: the task fails, naming it.
	if _, err := smClient(s).DeleteSecret(t.Context(), &secretsmanager.DeleteSecretInput{SecretId: aws.String("prod/db"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if err := run("start 2", task, "step", "start", "--run-id", "sfn-2", "--params", "{}"); err != nil {
		t.Fatal(err)
	}
	err := run("connect 2", task, "step", "connect", "--run-id", "sfn-2")
	if err == nil || !strings.Contains(err.Error(), "step connect: read its secrets: secret db (arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db): get it from AWS Secrets Manager: no such secret") {
		t.Errorf("connect without its secret: %v; want it to fail naming secret db", err)
	}

	found, err := secretleak.Find(planted, []string{dir}, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("the planted secret is in %s", f)
	}
}

type runError struct {
	args   []string
	err    error
	stderr string
}

func (e *runError) Error() string {
	return strings.Join(e.args, " ") + ": " + e.err.Error() + "\n" + e.stderr
}
