package deploy_test

import (
	"os"
	"strings"
	"testing"
)

// The flow images: the deployer may push them to the template's
// repository (docs/iam.md §1, create), and the roles that pull them (the
// ECS execution role on Fargate, the instance role on EC2) may pull them.
// The resources each ECR action is authorized on come from the sar table.

// managedPolicies are the statements of the AWS managed policies the
// template attaches, as far as the flow images go (their ECR part),
// transcribed from the AWS Managed Policy Reference.
var managedPolicies = map[string][]any{
	// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSTaskExecutionRolePolicy.html
	"AmazonECSTaskExecutionRolePolicy": {map[string]any{"Effect": "Allow", "Resource": "*", "Action": []any{
		"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
		"logs:CreateLogStream", "logs:PutLogEvents"}}},
	// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEC2ContainerServiceforEC2Role.html
	// (its ECR statement; the rest is the ECS agent's)
	"AmazonEC2ContainerServiceforEC2Role": {map[string]any{"Effect": "Allow", "Resource": "*", "Action": []any{
		"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:GetAuthorizationToken"}}},
}

// roleStatements returns a template role's inline statements and those of
// its managed policies (managedPolicies; one not transcribed fails).
func roleStatements(t *testing.T, role string) []any {
	t.Helper()
	data, err := os.ReadFile("../../../deploy/cloudformation/stepflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, ok := parseYAML(t, data).(map[string]any)["Resources"].(map[string]any)[role].(map[string]any)
	if !ok {
		t.Fatalf("the template has no resource %s", role)
	}
	stmts := templatePolicies(t)[role]
	arns, _ := res["Properties"].(map[string]any)["ManagedPolicyArns"].([]any)
	for _, a := range arns {
		arn := resolve(a)[0]
		name := arn[strings.LastIndexByte(arn, '/')+1:]
		ps, ok := managedPolicies[name]
		if !ok {
			t.Fatalf("%s attaches %s, which managedPolicies does not transcribe", role, arn)
		}
		stmts = append(stmts, ps...)
	}
	return stmts
}

// repository names the template's image repository (default Prefix).
var repository = map[string]string{"RepositoryName": "stepflow-flows"}

func TestIAMImagePull(t *testing.T) {
	pulls := []call{
		{action: "ecr:GetAuthorizationToken"},
		{action: "ecr:BatchGetImage", ids: repository},
		{action: "ecr:GetDownloadUrlForLayer", ids: repository},
	}
	for _, role := range []string{"BatchExecutionRole", "InstanceRole"} {
		stmts := roleStatements(t, role)
		for _, c := range pulls {
			for _, m := range authorize(stmts, c, nil) {
				t.Errorf("%s cannot pull the flow images: it lacks %s", role, m)
			}
		}
	}
}

// The push of create, as ECR documents it
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html):
// a token for the registry, then the layer and manifest calls on the
// repository, BatchGetImage for the manifests already there.
func TestIAMImagePush(t *testing.T) {
	user := commandPolicies(t, "HelloFlow")["create"]
	for _, a := range []string{"GetAuthorizationToken", "BatchCheckLayerAvailability", "InitiateLayerUpload", "UploadLayerPart",
		"CompleteLayerUpload", "PutImage", "BatchGetImage"} {
		c := call{action: "ecr:" + a, ids: repository}
		if a == "GetAuthorizationToken" {
			c.ids = nil
		}
		for _, m := range authorize(user, c, nil) {
			t.Errorf("docs/iam.md §1, create, does not let the deployer push the flow image: it lacks %s", m)
		}
	}
}
