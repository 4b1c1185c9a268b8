// Package smoketest checks scripts/aws-smoke.sh, which needs an AWS account
// to run for real: its --dry-run prints every step, in order, and calls
// nothing.
package smoketest

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// dryRun runs aws-smoke.sh --dry-run and returns what it printed.
func dryRun(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"aws-smoke.sh", "--dry-run"}, args...)...)
	cmd.Dir = ".."
	// No credentials and no way out: a dry run must not need either.
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_ENDPOINT_URL=http://127.0.0.1:9")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws-smoke.sh --dry-run: %v\n%s", err, out)
	}
	return string(out)
}

func TestSmokeDryRun(t *testing.T) {
	text := dryRun(t)
	prefix := regexp.MustCompile(`Prefix=(smoke-[0-9a-f]{8}) `).FindStringSubmatch(text)
	if prefix == nil {
		t.Fatalf("the stack's Prefix is not smoke-<8 hex digits>:\n%s", text)
	}
	p := prefix[1]
	// Every phase, in order, with the calls that make it; everything named
	// from the run's own prefix, retained resources deleted too.
	want := []string{
		"== phase stack", "+ aws cloudformation deploy --stack-name stepflow-" + p + " --template-file deploy/cloudformation/stepflow.yaml",
		"+ go run ./cmd/stepflow configure aws --from-outputs",
		"== phase deploy and run hello", "./examples/hello step-functions create", "./examples/hello step-functions trigger --wait",
		"== phase deploy and run a wide foreach", "./examples/foreach step-functions create --distributed-map-threshold 2",
		"== phase fail", "./scripts/smokeflow step-functions trigger --wait", "(must fail)",
		"== phase resume", "./scripts/smokeflow step-functions resume", "./scripts/smokeflow step-functions status --watch",
		"== phase check", "+ go run ./cmd/stepflow dump --datastore-root", "SmokeFlow/<smoke run id>/end/0 Result",
		"every phase passed",
		"== phase delete", "./scripts/smokeflow step-functions delete --force",
		"+ aws batch deregister-job-definition", "+ aws s3 rm --recursive",
		"+ aws cloudformation delete-stack --stack-name stepflow-" + p,
		"+ aws dynamodb delete-table --table-name " + p + "-bookkeeping",
		"+ aws logs delete-log-group --log-group-name /" + p + "/step-functions",
	}
	at := 0
	for _, w := range want {
		i := strings.Index(text[at:], w)
		if i < 0 {
			t.Fatalf("the dry run lacks %q after position %d:\n%s", w, at, text)
		}
		at += i + len(w)
	}
	for _, bad := range []string{"aws-cli", "BatchImage", "--image"} {
		if strings.Contains(text, bad) {
			t.Errorf("the dry run still names %q: the flows run from their own images", bad)
		}
	}
	// A second run names everything otherwise; --prefix chooses.
	if again := dryRun(t); strings.Contains(again, "Prefix="+p+" ") {
		t.Errorf("two runs share the prefix %s", p)
	}
	if mine := dryRun(t, "--prefix", "ci-42"); !strings.Contains(mine, "--stack-name stepflow-ci-42 ") || !strings.Contains(mine, "--table-name ci-42-bookkeeping") {
		t.Errorf("--prefix ci-42 is not used:\n%s", mine)
	}
	for _, line := range strings.Split(text, "\n") {
		if line != "" && !strings.HasPrefix(line, "+ ") && !strings.HasPrefix(line, "== ") && !strings.HasPrefix(line, "aws-smoke.sh: ") {
			t.Errorf("the dry run printed %q: a dry run only prints its plan", line)
		}
	}
}
