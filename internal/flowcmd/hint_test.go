package flowcmd_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The commands a run suggests work the way the user ran the flow: after
// go run, a go run command line; after ./hello, ./hello.
func TestHintsFollowTheInvocation(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command("go", "run", "./examples/hello", "run", "--datastore-root", root)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./examples/hello run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "artifacts: go run ./examples/hello dump ") {
		t.Errorf("after go run, the hint is not a go run command line:\n%s", out)
	}

	cmd = exec.Command("./hello", "run", "--datastore-root", root)
	cmd.Dir = binDir
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("./hello run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "artifacts: ./hello dump ") {
		t.Errorf("after ./hello, the hint does not start with ./hello:\n%s", out)
	}
	cmd = exec.Command(filepath.Join(binDir, "hello"), "dump", "latest/end/0", "--datastore-root", root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the suggested dump fails: %v\n%s", err, out)
	}
}
