package deploy_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	awssettings "github.com/stepflow/stepflow/internal/aws/settings"
	"github.com/stepflow/stepflow/internal/testproc"
)

// Every output of the CloudFormation template names a config key, so
// 'stepflow configure aws --from-outputs' takes them all.
func TestTemplateOutputsAreSettings(t *testing.T) {
	data, err := os.ReadFile("../../../deploy/cloudformation/stepflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, outputs, ok := strings.Cut(string(data), "\nOutputs:\n")
	if !ok {
		t.Fatal("no Outputs section")
	}
	names := regexp.MustCompile(`(?m)^  ([A-Za-z]+):$`).FindAllStringSubmatch(outputs, -1)
	if len(names) < 9 {
		t.Fatalf("found %d outputs", len(names))
	}
	for _, m := range names {
		if _, ok := awssettings.OutputKey(m[1]); !ok {
			t.Errorf("output %s names no config key (settings.OutputKey)", m[1])
		}
	}
}

// cfn-lint (scripts/test.sh installs it) checks the template against the
// CloudFormation resource specification: property names, values, types.
func TestTemplateLint(t *testing.T) {
	testproc.SkipShort(t, "runs cfn-lint")
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatalf("cfn-lint is not installed: run bash scripts/test.sh, or pip install cfn-lint==1.51.0")
	}
	out, err := exec.Command(lint, "../../../deploy/cloudformation/stepflow.yaml").CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
}
