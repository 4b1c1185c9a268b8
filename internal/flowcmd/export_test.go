package flowcmd_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/flowcmd"
)

type arrayFlow struct {
	Matrix [][]float64
	Ints   []int32
	Raw    []byte
	Names  []string
	Big    []uint16
	Data   stepflow.File
}

// TestExportNumpy runs a flow that stores arrays, exports the end task's
// artifacts with dump --export and reads them with Debian's numpy
// (python3-numpy, which scripts/test.sh installs), comparing values.
func TestExportNumpy(t *testing.T) {
	def := flow.MustDefinitionOf(stepflow.New[arrayFlow]("ArrayFlow").
		Step("start", func(f *arrayFlow, c *stepflow.Context) error {
			f.Matrix = [][]float64{{1.5, -2, 3e-9}, {4, 5, 6.25}}
			f.Ints = []int32{-7, 0, 1 << 30}
			f.Raw = []byte("npy")
			f.Names = []string{"a", "b"}
			f.Big = make([]uint16, 1<<20) // 2 MiB: dump shows its summary
			for i := range f.Big {
				f.Big[i] = uint16(i)
			}
			fl, err := c.TempFile("scores-*.csv")
			if err != nil {
				return err
			}
			if _, err := fl.WriteString("a,b\n1,2\n"); err != nil {
				return err
			}
			if err := fl.Close(); err != nil {
				return err
			}
			f.Data.SetPath(fl.Name())
			return nil
		}, stepflow.Next("end")).
		Step("end", func(f *arrayFlow, c *stepflow.Context) error { return nil }))
	root, dir := t.TempDir(), t.TempDir()
	cli := func(args ...string) result {
		t.Helper()
		var out, errb strings.Builder
		getenv := func(k string) string {
			if k == "STEPFLOW_DATASTORE_ROOT" {
				return root
			}
			return ""
		}
		code := flowcmd.Run(context.Background(), def, args, &out, &errb, getenv)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out.String(), errb.String())
		}
		return result{code, out.String(), errb.String()}
	}
	cli("run", "--in-process")
	if r := cli("dump", "latest/end/0"); !strings.Contains(r.stdout, "Big: <[]uint16, array of 1048576 uint16, 2.0 MiB; dump") {
		t.Errorf("dump of a large artifact:\n%s", r.stdout)
	}
	r := cli("dump", "--export", dir, "latest/end/0")
	for _, want := range []string{"Matrix: " + filepath.Join(dir, "Matrix.npy") + " (float64 array of shape [2 3])", "Names: " + filepath.Join(dir, "Names.json"),
		"Data: " + filepath.Join(dir, "Data.csv") + " (file scores-"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("export output lacks %q:\n%s", want, r.stdout)
		}
	}
	script := `
import json, sys, numpy as np
d = sys.argv[1]
m = np.load(d + "/Matrix.npy")
assert m.dtype == np.float64 and m.shape == (2, 3), (m.dtype, m.shape)
assert (m == np.array([[1.5, -2, 3e-9], [4, 5, 6.25]])).all(), m
i = np.load(d + "/Ints.npy")
assert i.dtype == np.int32 and list(i) == [-7, 0, 1 << 30], i
r = np.load(d + "/Raw.npy")
assert r.dtype == np.uint8 and r.tobytes() == b"npy", r
b = np.load(d + "/Big.npy")
assert b.dtype == np.uint16 and (b == np.arange(1 << 20, dtype=np.uint16)).all(), b
assert json.load(open(d + "/Names.json")) == ["a", "b"]
assert open(d + "/Data.csv").read() == "a,b\n1,2\n"
print("ok")
`
	// Debian's python3, with Debian's numpy; not whatever python3 is first
	// on PATH.
	out, err := exec.Command("/usr/bin/python3", "-c", script, dir).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("numpy could not read the export (install python3-numpy; scripts/test.sh does): %v\n%s", err, out)
	}
}
