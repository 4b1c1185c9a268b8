package runner_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// scratch holds the benchmarks' datastores: the test binary's temporary
// directory, removed when it exits, or $STEPFLOW_BENCH_SCRATCH, which the
// caller removes (scripts/bench-budgets.sh, after its last measurement).
var scratch string

// benchScratchEnv names a directory for benchmark datastores that the
// benchmarks leave in place: see scratch.
const benchScratchEnv = "STEPFLOW_BENCH_SCRATCH"

// benchForeach runs noopflow with a foreach of n no-op tasks, end to end,
// and reports the wall time per task, the CPU per task (the runtime and
// its task processes together) and the runtime's peak memory.
//
//	go test -run XXX -bench Foreach -benchtime 3x ./internal/runner/
//
// Each run has a datastore of its own, all removed when the test binary
// exits, not between runs: on ext4, a run that starts seconds after the
// thousands of files of the previous one were deleted spends up to half
// of its CPU scanning recently freed inodes for each new one
// (recently_deleted, under ext4_mkdir and ext4_create in `perf record`),
// a cost of the benchmark's clean-up, not of the run.
func benchForeach(b *testing.B, n int, extra ...string) {
	tasks := float64(n + 3) // start, n items, join, end
	var wall, cpu time.Duration
	var rss int64
	for i := 0; i < b.N; i++ {
		dir := scratch
		if d := os.Getenv(benchScratchEnv); d != "" {
			dir = d
		}
		root, err := os.MkdirTemp(dir, "foreach-")
		if err != nil {
			b.Fatal(err)
		}
		args := append([]string{"run", "--n", strconv.Itoa(n), "--max-num-splits", strconv.Itoa(n),
			"--quiet", "--datastore-root", root}, extra...)
		cmd := exec.Command(filepath.Join(bins, "noopflow"), args...)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		wall += time.Since(start)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > rss {
			rss = ru.Maxrss
		}
		// User and system CPU of the runtime and of every task process
		// it waited for (wait4 reports both).
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N)/tasks, "ms/task")
	b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N)/tasks, "cpu-ms/task")
	b.ReportMetric(float64(wall.Seconds())/float64(b.N), "s/run")
	b.ReportMetric(float64(rss)/1024, "peak-MiB")
}

func BenchmarkForeach1000(b *testing.B)           { benchForeach(b, 1000) }
func BenchmarkForeach1000InProcess(b *testing.B)  { benchForeach(b, 1000, "--in-process") }
func BenchmarkForeach10000(b *testing.B)          { benchForeach(b, 10000) }
func BenchmarkForeach10000InProcess(b *testing.B) { benchForeach(b, 10000, "--in-process") }
