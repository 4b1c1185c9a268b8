package stepflow_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stepflow/stepflow/internal/testproc"
)

// readmeCommands returns the shell commands of README.md's indented blocks,
// in order, without their comments: what a reader pastes.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	fenced := false
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "     ") {
			continue
		}
		cmd := strings.TrimSpace(line)
		if i := strings.Index(cmd, "  #"); i >= 0 {
			cmd = strings.TrimSpace(cmd[:i])
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// Every command block of the README runs as pasted, in order, in a fresh
// copy of the repository. The test command itself is left out (it is what
// runs this test); the commands that deploy to AWS run in their
// --only-json form, with the settings the README shows; the UI server runs
// for a few seconds on a free port.
func TestREADMECommands(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("runs every README command with go run (never skipped in CI)")
	}
	cmds := readmeCommands(t)
	if len(cmds) < 12 {
		t.Fatalf("found %d README commands, want at least 12: %q", len(cmds), cmds)
	}
	dir := readmeDir(t)
	files, err := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files (the test copies the checkout): %v", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := []string{"set -euo pipefail", "n=0"}
	ran := 0
	for _, c := range cmds {
		switch {
		case c == "bash scripts/test.sh":
			continue
		case strings.HasSuffix(c, " ui") || strings.Contains(c, " ui "):
			// A server: start it on a free port, wait for its URL, stop it.
			// It runs as a job of its own process group (set -m), so that
			// the kill reaches the binary go run started, not only go run,
			// and the script waits until no process of the group is left.
			c = "{ set -m; " + c + " --addr 127.0.0.1:0 >ui.log 2>&1 & pid=$!; set +m; " +
				"for i in $(seq 600); do grep -q 'http://127.0.0.1:' ui.log && break; sleep 0.1; done; " +
				"kill -- -$pid; for i in $(seq 100); do kill -0 -- -$pid 2>/dev/null || break; sleep 0.1; done; " +
				"! kill -0 -- -$pid 2>/dev/null || { echo 'the ui server outlived its kill' >&2; exit 1; }; " +
				"cat ui.log; grep -q 'http://127.0.0.1:' ui.log; }"
		case strings.Contains(c, "step-functions") && !strings.Contains(c, "--only-json"):
			// Needs an AWS account: compile the same flow with the same
			// build and settings instead.
			before, _, _ := strings.Cut(c, " step-functions ")
			c = before + " step-functions create --only-json >/dev/null"
		}
		script = append(script, "echo; echo '$ "+strings.ReplaceAll(c, "'", `'\''`)+"' >&2", c, "n=$((n+1))")
		ran++
	}
	// A home of its own (no config file of the developer's), with the go
	// command's caches where they are.
	goenv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	vals := strings.Split(strings.TrimSpace(string(goenv)), "\n")
	script = append(script, `echo "ran $n commands"`)
	cmd := exec.Command("bash", "-c", strings.Join(script, "\n"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "GOCACHE="+vals[0], "GOMODCACHE="+vals[1], "GOPATH="+vals[2],
		"STEPFLOW_CONFIG=", "STEPFLOW_DATASTORE_ROOT=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if left := processesIn(t, dir); len(left) > 0 {
		t.Errorf("the README commands left processes running: %s", strings.Join(left, "; "))
	}
	if err != nil {
		t.Fatalf("a README command failed (%v); the last '$' line is the one:\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("ran %d commands", ran)) {
		t.Errorf("not every command ran (%d expected):\n%s", ran, out.String())
	}
}

// readmeDir returns an empty directory for TestREADMECommands' copy of the
// checkout, removed when the test ends. Its path is the same on every run
// from one checkout, so that the go command's build cache, whose keys
// include a package's directory, compiles only what changed since the last
// run; a lock keeps two runs from sharing it at once.
func readmeDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(wd))
	base := filepath.Join(testproc.DiskTempDir(), fmt.Sprintf("stepflow-readme-%d", os.Getuid()), hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(base, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "repo")
	remove := func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Error(err)
		}
	}
	remove()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		remove()
		lock.Close() // releases the lock
	})
	return dir
}

// processesIn kills the processes whose working directory is dir or
// below it, and returns their pids and command lines. On systems without
// /proc it finds none.
func processesIn(t *testing.T, dir string) []string {
	t.Helper()
	var left []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil || (cwd != dir && !strings.HasPrefix(cwd, dir+string(filepath.Separator))) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		left = append(left, fmt.Sprintf("pid %d: %s", pid, strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")))
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	}
	return left
}

// The flow the README shows is examples/foreach, as it is.
func TestREADMEExampleIsReal(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("examples/foreach/main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "[examples/foreach](examples/foreach/main.go)")
	if !ok {
		t.Fatal("README does not show examples/foreach")
	}
	_, rest, _ = strings.Cut(rest, "```go\n")
	snippet, _, _ := strings.Cut(rest, "```")
	if !strings.HasSuffix(string(src), snippet) || len(snippet) < 500 {
		t.Errorf("the README's snippet is not the end of examples/foreach/main.go:\n%s", snippet)
	}
}
