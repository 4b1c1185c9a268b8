package flowcmd_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/flowcmd"
)

type onBatchFlow struct{ N int }

// TestOnBatchNeedsTheAWSBuild: a build without the AWS extension refuses
// a run with steps declared stepflow.OnBatch (exit 2, naming the steps and
// the fix) and writes nothing; --with local runs them here.
func TestOnBatchNeedsTheAWSBuild(t *testing.T) {
	def := flow.MustDefinitionOf(stepflow.New[onBatchFlow]("OnBatchFlow").
		Step("start", func(f *onBatchFlow, c *stepflow.Context) error { f.N = 1; return nil }, stepflow.Next("gpu")).
		Step("gpu", func(f *onBatchFlow, c *stepflow.Context) error { f.N *= 7; return nil }, stepflow.Next("end"), stepflow.OnBatch()).
		Step("end", func(f *onBatchFlow, c *stepflow.Context) error { return nil }))
	root := filepath.Join(t.TempDir(), "ds")
	getenv := func(k string) string {
		if k == "STEPFLOW_DATASTORE_ROOT" {
			return root
		}
		return ""
	}
	var out, errb strings.Builder
	if code := flowcmd.Run(context.Background(), def, []string{"run", "--in-process"}, &out, &errb, getenv); code != 2 {
		t.Fatalf("run: exit %d, want 2\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "step gpu runs on AWS Batch (stepflow.OnBatch), and this build of the flow cannot submit AWS Batch jobs") ||
		!strings.Contains(errb.String(), "go run -tags stepflow_aws") || !strings.Contains(errb.String(), "or run every step here with --with local") {
		t.Errorf("message:\n%s", errb.String())
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("the refused run wrote its datastore: %v", err)
	}
	out.Reset()
	errb.Reset()
	if code := flowcmd.Run(context.Background(), def, []string{"run", "--in-process", "--with", "local"}, &out, &errb, getenv); code != 0 {
		t.Fatalf("run --with local: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := flowcmd.Run(context.Background(), def, []string{"dump", "--json", "latest/end/0", "N"}, &out, &errb, getenv); code != 0 || strings.TrimSpace(out.String()) != "7" {
		t.Errorf("dump N: exit %d, %q %s", code, out.String(), errb.String())
	}
}
