package flowcmd_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestFlowBinaryDeps checks that flow binaries (of the plain and of the
// AWS build) and the stepflow inspector do not link
// github.com/klauspost/compress: its s2 package builds CRC-32C tables as
// it initialises (about 0.2 ms of every process start, so of every task),
// and internal/s2 reads and writes the same format. Tests may import it to
// check compatibility.
func TestFlowBinaryDeps(t *testing.T) {
	for _, tags := range []string{"", "stepflow_aws"} {
		cmd := exec.Command("go", "list", "-deps", "-tags", tags, "./examples/hello", "./cmd/stepflow")
		cmd.Dir = "../.."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps -tags %q: %v", tags, err)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, "github.com/stepflow/stepflow/internal/s2") {
			t.Fatalf("tags %q: internal/s2 is not among the dependencies: does the list hold the datastore?", tags)
		}
		for _, d := range deps {
			if strings.HasPrefix(d, "github.com/klauspost/compress") {
				t.Errorf("tags %q: a flow binary links %s", tags, d)
			}
		}
	}
}
