package flowcmd_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

var awsHello struct {
	once sync.Once
	path string
	err  error
}

// BenchmarkStart measures what every local task pays before its step runs,
// next to the smallest Go program (hello-world, fmt.Println):
//
//   - help: `hello --help`, the flow binary's start-up and dispatch;
//
//   - check: `hello check`, which also builds and lints the definition;
//
//   - step: `hello step loud ...` as the runtime starts a task (with the
//     fingerprint of the linted definition, --definition), a step that
//     only upper-cases a string: load the parent's record and artifacts,
//     run, store the artifact and write the attempt record, as the first
//     attempt of its task in a run of its own each time (the runs' start
//     tasks all run before the timer starts: a task that finds N earlier
//     attempts lists them to number its own, and deleting them would make
//     ext4 scan recently freed inodes, neither of which a task of a run
//     pays), with the datastore on the disk (disk) or in memory (/dev/shm,
//     shm: the process without the filesystem);
//
//   - aws-check: `hello check` of the AWS build (-tags stepflow_aws),
//     which links the AWS SDK; the gap is why plain builds leave it out.
//
// help and step compare themselves with hello-world run by run (see
// interleaved): over-ms/op is the budget's figure (docs/runtime.md).
//
//	go test -run XXX -bench Start -benchtime 300x -count 3 ./internal/flowcmd/
func BenchmarkStart(b *testing.B) {
	awsHello.once.Do(func() {
		awsHello.path = filepath.Join(binDir, "hello-aws")
		cmd := exec.Command("go", "build", "-tags", "stepflow_aws", "-o", awsHello.path, "./examples/hello")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			awsHello.err = err
			b.Logf("%s", out)
		}
	})
	if awsHello.err != nil {
		b.Fatal(awsHello.err)
	}
	hello := filepath.Join(binDir, "hello")
	start := func(b *testing.B, args ...string) {
		for b.Loop() {
			run(b, exec.Command(args[0], args[1:]...))
		}
	}
	b.Run("hello-world", func(b *testing.B) { start(b, filepath.Join(binDir, "helloworld")) })
	b.Run("help", func(b *testing.B) {
		interleaved(b, func(int) *exec.Cmd { return exec.Command(hello, "--help") })
	})
	b.Run("check", func(b *testing.B) { start(b, hello, "check") })
	// On disk, the datastore goes to $STEPFLOW_BENCH_SCRATCH when set, and
	// is left for the caller to remove (scripts/bench-budgets.sh does, after
	// its last measurement): deleting thousands of files makes ext4 slower
	// at creating files for minutes, which would charge this benchmark's
	// clean-up to the next one.
	scratch := os.Getenv("STEPFLOW_BENCH_SCRATCH")
	for _, fs := range []struct{ name, dir string }{{"disk", scratch}, {"shm", "/dev/shm"}} {
		b.Run("step-"+fs.name, func(b *testing.B) {
			root, err := os.MkdirTemp(fs.dir, "stepflow-bench-")
			if err != nil {
				b.Fatal(err)
			}
			if fs.dir != scratch || scratch == "" {
				defer os.RemoveAll(root)
			}
			run, def := startRun(b, hello, root)
			runID := func(i int) string { return fmt.Sprintf("%s-%d", run, i) }
			for i := range b.N {
				stepStart(b, hello, root, runID(i))
			}
			interleaved(b, func(i int) *exec.Cmd {
				return exec.Command(hello, "step", "loud", "--run-id", runID(i), "--task-id", "0", "--attempt", "0",
					"--input-paths", runID(i)+"/start/0", "--datastore-root", root, "--definition", def)
			})
			rec := filepath.Join(root, "HelloFlow", "runs", runID(b.N-1), "loud", "0", "0", "attempt.json")
			if _, err := os.Stat(rec); err != nil {
				b.Fatalf("the step left no attempt record: %v", err)
			}
		})
	}
	b.Run("aws-check", func(b *testing.B) { start(b, awsHello.path, "check") })
}

// interleaved runs cmd(i) for each i < b.N, each right after a run of the
// hello-world binary, and reports the command's time (ns/op), hello-world's
// (hello-world-ms/op) and the difference (over-ms/op). Taken in turn, both
// see the same machine: on a shared VM the time of a process start drifts
// over minutes by more than the budgets' margins, so two benchmarks run
// one after the other cannot be compared to that precision.
func interleaved(b *testing.B, cmd func(i int) *exec.Cmd) {
	hw := filepath.Join(binDir, "helloworld")
	var yard, own time.Duration
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		run(b, exec.Command(hw))
		t1 := time.Now()
		run(b, cmd(i))
		own += time.Since(t1)
		yard += t1.Sub(t0)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(own.Nanoseconds())/n, "ns/op")
	b.ReportMetric(float64(yard.Nanoseconds())/n/1e6, "hello-world-ms/op")
	b.ReportMetric(float64((own-yard).Nanoseconds())/n/1e6, "over-ms/op")
}

// run runs cmd and fails b with its output if it fails.
func run(b *testing.B, cmd *exec.Cmd) {
	b.Helper()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%q: %v\n%s", cmd.Args, err, out)
	}
}

// startRun runs hello's start task in a new run under root and returns the
// run id and the fingerprint of hello's definition (from the refusal of a
// wrong one: the test cannot import the example's main package).
func startRun(b *testing.B, hello, root string) (run, def string) {
	b.Helper()
	run = "bench"
	stepStart(b, hello, root, run)
	out, _ := exec.Command(hello, "step", "loud", "--run-id", run, "--definition", "0").CombinedOutput()
	m := regexp.MustCompile(`fingerprint ([0-9a-f]{32})`).FindSubmatch(out)
	if m == nil {
		b.Fatalf("no fingerprint in %s", out)
	}
	return run, string(m[1])
}

// stepStart runs hello's start task as the first task of run.
func stepStart(b *testing.B, hello, root, run string) {
	b.Helper()
	out, err := exec.Command(hello, "step", "start", "--run-id", run, "--attempt", "0", "--input-paths", "", "--params", `{"name":"world"}`,
		"--datastore-root", root).CombinedOutput()
	if err != nil {
		b.Fatalf("step start: %v\n%s", err, out)
	}
}
