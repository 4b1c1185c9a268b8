package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"
)

// iamPrefixes maps the AWS SDK's service ids to their IAM action prefixes.
var iamPrefixes = map[string]string{
	"SFN": "states", "Batch": "batch", "Scheduler": "scheduler", "EventBridge": "events",
	"CloudWatch Logs": "logs", "ECR": "ecr", "S3": "s3", "DynamoDB": "dynamodb",
}

// deniedRE finds the action and resource in AWS's AccessDenied message:
// "User: ARN is not authorized to perform: ACTION on resource: RESOURCE
// [because ...]".
var deniedRE = regexp.MustCompile(`not authorized to perform: ([a-zA-Z0-9-]+:[A-Za-z0-9]+)(?: on resource: (\S+))?`)

// isAccessDenied reports whether an AWS error code refuses a permission.
func isAccessDenied(code string) bool {
	return code == "AccessDeniedException" || code == "AccessDenied" || strings.HasSuffix(code, "AccessDenied")
}

// deniedError explains an AccessDenied answer to the call err came from
// while doing what doing says: the IAM action AWS refused (from its
// message, else the call's own action), the statement that allows it, and
// where the permissions are listed. It is a problem the user fixes (exit
// status 2): the SDK does not retry it, and neither does anything here.
func deniedError(doing string, ae smithy.APIError, err error) error {
	action, resource := "", ""
	if m := deniedRE.FindStringSubmatch(ae.ErrorMessage()); m != nil {
		action, resource = m[1], strings.TrimRight(m[2], ".,;")
	}
	var oe *smithy.OperationError
	if action == "" && errors.As(err, &oe) {
		if p, ok := iamPrefixes[oe.ServiceID]; ok {
			action = p + ":" + oe.OperationName
		}
	}
	if action == "" {
		return userf("%s: access denied by AWS (%s); grant the permission listed for this command in docs/iam.md", doing, ae.ErrorMessage())
	}
	where, res := resource, resource
	if resource == "" {
		where, res = "its resource", "RESOURCE"
	}
	js, _ := json.Marshal(map[string]string{"Effect": "Allow", "Action": action, "Resource": res})
	fix := fmt.Sprintf("add the statement %s to the policy of the identity that runs this command", js)
	if resource == "" {
		fix += ", with RESOURCE as docs/iam.md §1 gives it for this command"
	} else {
		fix += " (docs/iam.md §1 lists what each command needs)"
	}
	return userf("%s: access denied by AWS: %s is not allowed on %s (AWS says: %s); %s", doing, action, where, ae.ErrorMessage(), fix)
}

// RoleFix reads a failed run's error (Step Functions' error and cause, as
// status prints them) and, when it is an access denial of a role the
// deployment runs as (the Step Functions role submitting a job, say: Step
// Functions reports it as Batch.AWSBatchException with AWS Batch's
// message), returns what to add to that role's policy; "" otherwise.
func RoleFix(runError string) string {
	if !strings.Contains(runError, "AccessDenied") && !strings.Contains(runError, "not authorized to perform") {
		return ""
	}
	m := deniedRE.FindStringSubmatch(runError)
	if m == nil {
		return "a role of the deployment was refused a permission (AccessDenied): see docs/iam.md §2 for what each role needs, and compare with its policy"
	}
	action, resource := m[1], strings.TrimRight(m[2], ".,;)")
	if resource == "" {
		resource = "RESOURCE"
	}
	js, _ := json.Marshal(map[string]string{"Effect": "Allow", "Action": action, "Resource": resource})
	return fmt.Sprintf("the role the run used may not %s on %s: add the statement %s to its policy (the template's roles: docs/iam.md §2), then resume the run", action, resource, js)
}
