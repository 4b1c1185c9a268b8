package moto_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/stepflow/stepflow/internal/testproc"
)

// motoTemplate is deploy/cloudformation/stepflow.yaml with moto's gaps
// worked around (the template itself stays what AWS gets):
//
//   - moto's AWS::Batch::ComputeEnvironment requires ServiceRole, which
//     AWS makes optional (it uses the Batch service-linked role): the
//     test adds a role for it.
func motoTemplate(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../../deploy/cloudformation/stepflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	patch := func(old, new string) {
		t.Helper()
		if strings.Count(s, old) != 1 {
			t.Fatalf("the template changed: %q is not there exactly once; update the moto workarounds", old)
		}
		s = strings.Replace(s, old, new, 1)
	}
	patch("\nResources:\n", `
Resources:
  MotoBatchServiceRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: batch.amazonaws.com}, Action: "sts:AssumeRole"}
`)
	patch("\n      Type: MANAGED\n", "\n      Type: MANAGED\n      ServiceRole: !GetAtt MotoBatchServiceRole.Arn\n")
	return s
}

// deployStack creates the stack in moto and returns its outputs in the
// form 'aws cloudformation describe-stacks --query Stacks[0].Outputs'
// prints.
func deployStack(t *testing.T, name string) []map[string]string {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(bg, config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")))
	if err != nil {
		t.Fatal(err)
	}
	cfn := cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(motoServer.url) })

	// The compute environment's network: moto's default VPC.
	var subnets struct {
		Items []struct {
			ID string `xml:"subnetId"`
		} `xml:"subnetSet>item"`
	}
	ec2Query(t, "DescribeSubnets", &subnets)
	var groups struct {
		Items []struct {
			ID string `xml:"groupId"`
		} `xml:"securityGroupInfo>item"`
	}
	ec2Query(t, "DescribeSecurityGroups", &groups)
	if len(subnets.Items) == 0 || len(groups.Items) == 0 {
		t.Fatalf("moto has no default subnet or security group: %+v %+v", subnets, groups)
	}

	_, err = cfn.CreateStack(bg, &cloudformation.CreateStackInput{
		StackName:    aws.String(name),
		TemplateBody: aws.String(motoTemplate(t)),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
		Parameters: []cfntypes.Parameter{
			{ParameterKey: aws.String("Subnets"), ParameterValue: aws.String(subnets.Items[0].ID)},
			{ParameterKey: aws.String("SecurityGroups"), ParameterValue: aws.String(groups.Items[0].ID)},
		},
	})
	if err != nil {
		t.Fatalf("create the stack in moto: %v", err)
	}
	out, err := cfn.DescribeStacks(bg, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	st := out.Stacks[0]
	if st.StackStatus != cfntypes.StackStatusCreateComplete {
		t.Fatalf("stack %s: %s (%s)", name, st.StackStatus, aws.ToString(st.StackStatusReason))
	}
	var outputs []map[string]string
	for _, o := range st.Outputs {
		outputs = append(outputs, map[string]string{"OutputKey": aws.ToString(o.OutputKey), "OutputValue": aws.ToString(o.OutputValue)})
	}
	return outputs
}

// The template deployed into moto, 'configure aws --from-outputs', then a
// flow deployed and operated with every step-functions command against
// that stack, with only AWS_ENDPOINT_URL pointing the clients at moto.
func TestTemplateAndCommands(t *testing.T) {
	testproc.SkipShort(t, "needs moto_server and cfn-lint")
	home := t.TempDir()
	outputs := deployStack(t, "stepflow")
	writeJSON(t, filepath.Join(home, "outputs.json"), outputs)
	command(t, home, true, "stepflow", "configure", "aws", "--from-outputs", "outputs.json")
	repo := checkConfigured(t, home, outputs)
	// moto serves no registry: the flow image is given as pushed before
	// (--image), by digest in the stack's repository.
	image := repo + "@sha256:" + strings.Repeat("5e", 32)

	first, _ := command(t, home, true, "hello", "step-functions", "create", "--image", image)
	for _, want := range []string{
		`(?m)^job definition HelloFlow-[0-9a-f]{16}: registered`,
		`(?m)^state machine HelloFlow: created`,
	} {
		if !regexp.MustCompile(want).MatchString(first) {
			t.Errorf("first create: no line %s in\n%s", want, first)
		}
	}
	// Unchanged: reads only (moto's request recorder).
	var second string
	calls := record(t, func() {
		second, _ = command(t, home, true, "hello", "step-functions", "create", "--image", image)
	})
	t.Logf("second create: %v", calls)
	if len(calls) < 5 {
		t.Errorf("second create: %d calls recorded: %v", len(calls), calls)
	}
	for _, c := range calls {
		if c.write() {
			t.Errorf("second create wrote: %s\n%s", c, second)
		}
	}

	out, _ := command(t, home, true, "hello", "step-functions", "trigger", "--name", "moto")
	id := regexp.MustCompile(`sfn-[0-9a-f-]{36}`).FindString(out)
	if id == "" {
		t.Fatalf("trigger printed no run id:\n%s", out)
	}
	out, _ = command(t, home, true, "hello", "step-functions", "list-runs")
	if !regexp.MustCompile(`(?m)^` + id + `\s+RUNNING\s`).MatchString(out) {
		t.Errorf("list-runs does not list %s RUNNING:\n%s", id, out)
	}
	out, _ = command(t, home, true, "hello", "step-functions", "status", id)
	if !strings.Contains(out, "run "+id+": RUNNING") {
		t.Errorf("status:\n%s", out)
	}
	out, _ = command(t, home, true, "hello", "step-functions", "terminate", id)
	if !strings.HasPrefix(out, "run "+id+" terminated at ") {
		t.Errorf("terminate:\n%s", out)
	}
	// moto 5.2.1 has no RedriveExecution: resume reaches it, with the
	// terminated run, and gets moto's refusal.
	_, stderr := command(t, home, false, "hello", "step-functions", "resume", id)
	if !strings.Contains(stderr, "RedriveExecution") {
		t.Errorf("resume: %s", stderr)
	}
	out, _ = command(t, home, true, "hello", "step-functions", "delete")
	if !strings.Contains(out, "state machine HelloFlow: deleted") {
		t.Errorf("delete:\n%s", out)
	}
	_, stderr = command(t, home, false, "hello", "step-functions", "list-runs")
	if !strings.Contains(stderr, "is not deployed") {
		t.Errorf("list-runs after delete: %s", stderr)
	}
}

// checkConfigured checks that configure --from-outputs took the image
// repository and the dead-letter queue from the stack's outputs, and that
// they are the template's resources as moto created them: named from the
// stack's Prefix (default "stepflow"). It returns the repository's URI.
func checkConfigured(t *testing.T, home string, outputs []map[string]string) string {
	t.Helper()
	out := map[string]string{}
	for _, o := range outputs {
		out[o["OutputKey"]] = o["OutputValue"]
	}
	data, err := os.ReadFile(filepath.Join(home, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	for key, output := range map[string]string{"image_repository": "ImageRepositoryUri", "dead_letter_queue": "DeadLetterQueue"} {
		if out[output] == "" || cfg[key] != out[output] {
			t.Errorf("config %s = %v, want the stack's output %s = %q", key, cfg[key], output, out[output])
		}
	}
	if !strings.HasSuffix(out["ImageRepositoryUri"], ".amazonaws.com/stepflow-flows") {
		t.Errorf("ImageRepositoryUri %q: not the repository stepflow-flows", out["ImageRepositoryUri"])
	}
	if !regexp.MustCompile(`^arn:aws:sqs:us-east-1:\d{12}:stepflow-dead-letters$`).MatchString(out["DeadLetterQueue"]) {
		t.Errorf("DeadLetterQueue %q: not the queue stepflow-dead-letters", out["DeadLetterQueue"])
	}
	return out["ImageRepositoryUri"]
}
