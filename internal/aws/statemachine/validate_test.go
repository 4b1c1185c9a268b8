package statemachine_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stepflow/stepflow/internal/testproc"
)

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	code := m.Run()
	aslValidator.stop()
	os.Exit(code)
}

// aslValidator is one `node testdata/validate.js --serve` for the whole
// test binary: loading asl-validator costs more than validating.
var aslValidator validator

// validator talks to validate.js --serve, one request at a time.
type validator struct {
	mu   sync.Mutex
	proc *testproc.Proc
	in   io.WriteCloser
	out  *bufio.Reader
}

// validate runs asl-validator (path and ARN checks on) over files. It
// fails when node or asl-validator is missing, except under go test -short
// in a clone without node_modules (before npm ci): then it skips the rest
// of the test, so tests call it last.
func validate(t *testing.T, files ...string) {
	t.Helper()
	node := testproc.NodeOrSkip(t, root)
	if _, err := os.Stat(filepath.Join(root, "node_modules", "asl-validator")); err != nil {
		t.Fatalf("asl-validator is not installed; run `npm ci` at the repository root")
	}
	out, bad, err := aslValidator.check(node, files)
	if err != nil {
		t.Fatalf("asl-validator: %v\n%s", err, out)
	}
	if bad > 0 {
		t.Fatalf("asl-validator: %d invalid\n%s", bad, out)
	}
}

// check validates files and returns what validate.js printed and how many
// files are invalid.
func (v *validator) check(node string, files []string) (string, int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.proc == nil {
		cmd := exec.Command(node, "testdata/validate.js", "--serve")
		in, err := cmd.StdinPipe()
		if err != nil {
			return "", 0, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return "", 0, err
		}
		cmd.Stderr = os.Stderr
		p, err := testproc.Start("validate.js", cmd, "")
		if err != nil {
			return "", 0, err
		}
		v.proc, v.in, v.out = p, in, bufio.NewReader(out)
	}
	abs := make([]string, len(files))
	for i, f := range files {
		abs[i], _ = filepath.Abs(f)
	}
	req, _ := json.Marshal(abs)
	if _, err := v.in.Write(append(req, '\n')); err != nil {
		return "", 0, fmt.Errorf("write to validate.js: %w", err)
	}
	var printed strings.Builder
	for {
		line, err := v.out.ReadString('\n')
		if err != nil {
			return printed.String(), 0, fmt.Errorf("read from validate.js: %w (%v)", err, v.proc.Exited())
		}
		if n, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "end "); ok {
			var bad int
			fmt.Sscan(n, &bad)
			return printed.String(), bad, nil
		}
		printed.WriteString(line)
	}
}

// stop ends validate.js, if it was started.
func (v *validator) stop() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.proc != nil {
		v.in.Close()
		v.proc.Stop()
	}
}

// TestValidatorRefuses checks the validator itself: after a good
// definition (validate.js reuses one Ajv instance from call to call),
// definitions with a bad state type, a bad path, a missing transition
// target and a bad ARN are each refused.
func TestValidatorRefuses(t *testing.T) {
	node := testproc.NodeOrSkip(t, root)
	dir := t.TempDir()
	bad := map[string]string{
		"type.json":   `{"StartAt":"x","States":{"x":{"Type":"Bogus","End":true}}}`,
		"path.json":   `{"StartAt":"x","States":{"x":{"Type":"Pass","InputPath":"$$$.a","End":true}}}`,
		"target.json": `{"StartAt":"x","States":{"x":{"Type":"Pass","Next":"y"}}}`,
		"arn.json":    `{"StartAt":"x","States":{"x":{"Type":"Task","Resource":"not-an-arn","End":true}}}`,
	}
	files := []string{filepath.Join("testdata", "golden", "hello", "state-machine.json")}
	for name, def := range bad {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	out, n, err := aslValidator.check(node, files)
	if err != nil {
		t.Fatalf("asl-validator: %v\n%s", err, out)
	}
	if n != len(bad) {
		t.Errorf("%d of %d bad definitions refused\n%s", n, len(bad), out)
	}
	for name := range bad {
		if !strings.Contains(out, "invalid "+filepath.Join(dir, name)) {
			t.Errorf("%s is not refused\n%s", name, out)
		}
	}
	if !strings.Contains(out, "ok ") {
		t.Errorf("the good definition is not accepted\n%s", out)
	}
}
