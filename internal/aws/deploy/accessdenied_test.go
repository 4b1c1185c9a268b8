package deploy_test

import (
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/usage"
)

// A Batch AccessDenied (HTTP 403, as AWS Batch answers it) is sent once,
// never retried as a throttle, and the error names the action AWS refused
// and the statement that allows it.
func TestBatchAccessDeniedFailsAtOnce(t *testing.T) {
	e := setup(t, false)
	const jd = "arn:aws:batch:us-east-1:123456789012:job-definition/TestFlow-0123456789abcdef:1"
	e.f.FailWith("registerjobdefinition", "AccessDeniedException", 403,
		"User: arn:aws:sts::123456789012:assumed-role/deployer/alice is not authorized to perform: batch:TagResource on resource: "+jd+
			" because no identity-based policy allows the batch:TagResource action")
	err := e.create(t)
	if err == nil {
		t.Fatal("create succeeded through an AccessDenied")
	}
	if !usage.Is(err) {
		t.Errorf("AccessDenied is not a problem for the user to fix (exit 2): %v", err)
	}
	if n := e.f.Count("registerjobdefinition"); n != 1 {
		t.Errorf("RegisterJobDefinition sent %d times, want 1: AccessDenied is not retried", n)
	}
	for _, want := range []string{
		"access denied by AWS: batch:TagResource is not allowed on " + jd,
		`add the statement {"Action":"batch:TagResource","Effect":"Allow","Resource":"` + jd + `"}`,
		"docs/iam.md",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	// A message that names no action: the call's own action, and the
	// resource from docs/iam.md.
	e.f.FailWith("describejobqueues", "AccessDeniedException", 403, "Access denied")
	err = e.create(t)
	if n := e.f.Count("describejobqueues"); n != 1 {
		t.Errorf("DescribeJobQueues sent %d times, want 1", n)
	}
	for _, want := range []string{
		"batch:DescribeJobQueues is not allowed on its resource",
		`{"Action":"batch:DescribeJobQueues","Effect":"Allow","Resource":"RESOURCE"}`,
		"RESOURCE as docs/iam.md §1 gives it",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// RoleFix: a run's AccessDenied gives the statement to add; anything
// else gives nothing.
func TestRoleFix(t *testing.T) {
	cause := "Batch.AWSBatchException: User: arn:aws:sts::1:assumed-role/r/x is not authorized to perform: batch:SubmitJob on resource: arn:aws:batch:us-east-1:1:job-queue/gpu (Service: AWSBatch; Status Code: 403; Error Code: AccessDeniedException)"
	want := `add the statement {"Action":"batch:SubmitJob","Effect":"Allow","Resource":"arn:aws:batch:us-east-1:1:job-queue/gpu"} to its policy`
	if got := deploy.RoleFix(cause); !strings.Contains(got, want) {
		t.Errorf("RoleFix = %q, want it to say %q", got, want)
	}
	if got := deploy.RoleFix("States.Permissions: AccessDeniedException"); !strings.Contains(got, "docs/iam.md §2") {
		t.Errorf("RoleFix without an action = %q", got)
	}
	if got := deploy.RoleFix("States.TaskFailed: exit status 1"); got != "" {
		t.Errorf("RoleFix of a task failure = %q, want nothing", got)
	}
}
