// Package smoketest checks scripts/aws-smoke.sh, which needs an AWS account
// to run for real: its --dry-run prints every step, in order, and calls
// nothing.
package smoketest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestSmokeDryRun(t *testing.T) {
	cmd := exec.Command("bash", "aws-smoke.sh", "--dry-run")
	cmd.Dir = ".."
	// No credentials and no way out: a dry run must not need either.
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_ENDPOINT_URL=http://127.0.0.1:9")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws-smoke.sh --dry-run: %v\n%s", err, out)
	}
	text := string(out)
	// Every phase, in order, with the calls that make it.
	want := []string{
		"== phase stack", "+ aws cloudformation deploy --stack-name stepflow-smoke --template-file deploy/cloudformation/stepflow.yaml",
		"+ go run ./cmd/stepflow configure aws --from-outputs",
		"== phase deploy and run hello", "./examples/hello step-functions create", "./examples/hello step-functions trigger --wait",
		"== phase deploy and run a wide foreach", "./examples/foreach step-functions create --distributed-map-threshold 2",
		"== phase fail", "./scripts/smokeflow step-functions trigger --wait", "(must fail)",
		"== phase resume", "./scripts/smokeflow step-functions resume", "./scripts/smokeflow step-functions status --watch",
		"== phase check", "+ go run ./cmd/stepflow dump --datastore-root", "SmokeFlow/<smoke run id>/end/0 Result",
		"every phase passed",
		"== phase delete", "./scripts/smokeflow step-functions delete --force", "+ aws s3 rm --recursive",
		"+ aws cloudformation delete-stack --stack-name stepflow-smoke",
	}
	at := 0
	for _, w := range want {
		i := strings.Index(text[at:], w)
		if i < 0 {
			t.Fatalf("the dry run lacks %q after position %d:\n%s", w, at, text)
		}
		at += i + len(w)
	}
	for _, line := range strings.Split(text, "\n") {
		if line != "" && !strings.HasPrefix(line, "+ ") && !strings.HasPrefix(line, "== ") && !strings.HasPrefix(line, "aws-smoke.sh: ") {
			t.Errorf("the dry run printed %q: a dry run only prints its plan", line)
		}
	}
}
