package flowcmd_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/stepflow/stepflow/internal/testbin"
	"github.com/stepflow/stepflow/internal/testproc"
)

var update = flag.Bool("update", false, "rewrite the golden files of failing cmp commands in testdata/script")

// binDir holds the binaries the tests run: every examples/* flow,
// testdata/badflow and testdata/helloworld, and cmd/stepflow, each built
// once per test binary by TestMain.
var binDir string

// examples lists the example flows; every one has a script
// testdata/script/example_<name>.txtar.
var examples []string

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	flag.Parse()
	dir, err := os.MkdirTemp("", "stepflow-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = filepath.Join(dir, "bin")
	root, err := filepath.Abs("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ents, err := os.ReadDir(filepath.Join(root, "examples"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// stepflow, the inspector, for the damage table's show and runs.
	pkgs := []string{"./internal/flowcmd/testdata/badflow", "./internal/flowcmd/testdata/helloworld", "./internal/flowcmd/testdata/secretflow", "./internal/flowcmd/testdata/hookflow", "./internal/flowcmd/testdata/fileflow", "./internal/flowcmd/testdata/cacheflow", "./cmd/stepflow"}
	for _, e := range ents {
		if e.IsDir() {
			examples = append(examples, e.Name())
			pkgs = append(pkgs, "./examples/"+e.Name())
		}
	}
	// Built once and cached across test packages and runs (testbin): an
	// unchanged tree links nothing.
	if err := testbin.Dir(binDir, testbin.Options{}, pkgs...); err != nil {
		fmt.Fprintf(os.Stderr, "building the flow binaries: %v\n", err)
		return 1
	}
	return m.Run()
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			return nil
		},
	})
}

// Every example has a golden script.
func TestEveryExampleHasAScript(t *testing.T) {
	if len(examples) < 8 {
		t.Errorf("found %d examples, want at least 8: %q", len(examples), examples)
	}
	for _, e := range examples {
		if _, err := os.Stat(filepath.Join("testdata/script", "example_"+e+".txtar")); err != nil {
			t.Errorf("example %s has no script: %v", e, err)
		}
	}
}

var commandLine = regexp.MustCompile(`^  ([a-z][a-z-]*) `)

// --help works on every command the binary lists, including commands
// added later, and on every subcommand.
func TestHelpEveryCommand(t *testing.T) {
	bin := filepath.Join(binDir, "hello")
	var walk func(path []string)
	walk = func(path []string) {
		out, err := exec.Command(bin, append(path, "--help")...).Output()
		if err != nil {
			t.Errorf("hello %s --help: %v", strings.Join(path, " "), err)
			return
		}
		if !strings.HasPrefix(string(out), "usage: hello") {
			t.Errorf("hello %s --help does not start with a usage line:\n%s", strings.Join(path, " "), out)
		}
		if !strings.Contains(string(out), "\nCommands:\n") {
			return
		}
		for _, line := range strings.Split(string(out), "\n") {
			if m := commandLine.FindStringSubmatch(line); m != nil {
				walk(append(append([]string(nil), path...), m[1]))
			}
		}
	}
	walk(nil)
}
