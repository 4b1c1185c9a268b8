package flowcmd_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The commands a run suggests work the way the user ran the flow: after
// go run, a go run command line; after ./hello, ./hello; and they read the
// datastore the run wrote to.
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
	// The hint names the --datastore-root the run was given: run it as
	// printed, from another directory.
	m := regexp.MustCompile(`(?m)^artifacts: \./hello (dump \S+/end/0 --datastore-root (\S+))$`).FindStringSubmatch(string(out))
	if m == nil || m[2] != root {
		t.Fatalf("the hint does not carry --datastore-root %s:\n%s", root, out)
	}
	cmd = exec.Command(filepath.Join(binDir, "hello"), strings.Fields(m[1])...)
	cmd.Dir = t.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Greeting") {
		t.Errorf("the suggested %s fails: %v\n%s", m[1], err, out)
	}
}
