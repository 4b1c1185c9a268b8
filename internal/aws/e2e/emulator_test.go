package e2e_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/testproc"
)

// TestHelperDynalite is not a test: run by TestEmulatorDiesWithTest (with
// STEPFLOW_E2E_HELPER set) it starts dynalite as the harness does, prints
// its pid, and waits to be killed.
func TestHelperDynalite(t *testing.T) {
	if os.Getenv("STEPFLOW_E2E_HELPER") == "" {
		return
	}
	// The parent's directory: the helper's own t.TempDir would outlive it.
	w := &world{dir: os.Getenv("STEPFLOW_E2E_HELPER_DIR")}
	var err error
	if w.node, err = testproc.Node(repoRoot); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(w.dir, "logs"), 0o755)
	if err := w.startDynalite(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("DYNALITE %d %s\n", w.dynalite.Pid(), w.ddbURL)
	os.Stdout.Sync()
	select {}
}

// TestEmulatorDiesWithTest: an emulator the harness started does not
// outlive a test process killed with SIGKILL (no cleanup code runs then;
// see package testproc).
func TestEmulatorDiesWithTest(t *testing.T) {
	testproc.NodeOrSkip(t, repoRoot) // the helper starts dynalite under it
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDynalite$", "-test.v")
	cmd.Env = append(os.Environ(), "STEPFLOW_E2E_HELPER=1", "STEPFLOW_E2E_HELPER_DIR="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pid int
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "DYNALITE" {
			pid, _ = strconv.Atoi(f[1])
			break
		}
	}
	if pid == 0 {
		t.Fatalf("the helper started no dynalite:\n%s", strings.Join(lines, "\n"))
	}
	if testproc.Gone(pid) {
		t.Fatalf("dynalite (pid %d) is gone while the test process lives", pid)
	}
	cmd.Process.Signal(os.Kill)
	go func() {
		for sc.Scan() {
		}
	}()
	cmd.Wait()
	for deadline := time.Now().Add(testproc.StartTimeout()); !testproc.Gone(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("dynalite (pid %d) outlived the killed test process", pid)
		}
	}
}
