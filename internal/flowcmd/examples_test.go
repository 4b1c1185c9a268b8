package flowcmd_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// exampleRuns are the local runs whose final artifacts are golden: every
// example, with the parameters it needs, and the switch both ways.
var exampleRuns = []struct {
	name, example string
	args          []string
}{
	{"hello", "hello", nil},
	{"branch", "branch", nil},
	{"foreach", "foreach", nil},
	{"nestedforeach", "nestedforeach", nil},
	{"branchinforeach", "branchinforeach", nil},
	{"foreachinbranch", "foreachinbranch", nil},
	{"switch", "switch", nil},
	{"switch-slow", "switch", []string{"--mode", "slow"}},
	{"params", "params", []string{"--name", "ada", "--config", "settings=../../examples/params/settings.toml"}},
}

// TestExampleRuns runs every example locally, in child processes and
// in-process, and compares the end step's artifacts with
// testdata/final/<name>.json (rewritten by -update).
func TestExampleRuns(t *testing.T) {
	for _, ex := range exampleRuns {
		t.Run(ex.name, func(t *testing.T) {
			var dumps [][]byte
			for _, mode := range [][]string{nil, {"--in-process"}} {
				root := t.TempDir()
				bin := filepath.Join(binDir, ex.example)
				args := append(append([]string{"run", "--quiet", "--datastore-root", root}, ex.args...), mode...)
				if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
					t.Fatalf("%s %v: %v\n%s", ex.example, args, err, out)
				}
				out, err := exec.Command(bin, "dump", "latest/end/0", "--json", "--datastore-root", root).Output()
				if err != nil {
					t.Fatalf("dump: %v", err)
				}
				dumps = append(dumps, out)
			}
			if !bytes.Equal(dumps[0], dumps[1]) {
				t.Errorf("child-process and in-process runs differ:\n%s\n%s", dumps[0], dumps[1])
			}
			golden := filepath.Join("testdata", "final", ex.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, dumps[0], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dumps[0], want) {
				t.Errorf("final artifacts differ from %s:\n got %s\nwant %s", golden, dumps[0], want)
			}
		})
	}
}
