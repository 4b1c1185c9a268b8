package runner_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkStepCache runs cachedflow (a foreach of 100 items of 50 ms of
// work each, their join and end, all cached; start is not) twice on one
// datastore, child processes as `run` starts them, and reports for each
// run the wall time and the task processes that ran (each step function
// that ran appends a line to a log):
//
//	go test -run XXX -bench StepCache -benchtime 3x ./internal/runner/
func BenchmarkStepCache(b *testing.B) {
	const n = 100
	var wall [2]time.Duration
	var procs [2]int
	for i := 0; i < b.N; i++ {
		dir := scratch
		if d := os.Getenv(benchScratchEnv); d != "" {
			dir = d
		}
		root, err := os.MkdirTemp(dir, "cache-")
		if err != nil {
			b.Fatal(err)
		}
		for k := range 2 {
			log := filepath.Join(root, "ran-"+strconv.Itoa(k)+".log")
			cmd := exec.Command(filepath.Join(bins, "cachedflow"), "run", "--n", strconv.Itoa(n), "--quiet", "--datastore-root", root)
			cmd.Env = append(os.Environ(), "CACHEDFLOW_LOG="+log)
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
			wall[k] += time.Since(start)
			data, err := os.ReadFile(log)
			if err != nil {
				b.Fatal(err)
			}
			procs[k] += strings.Count(string(data), "\n")
		}
	}
	if procs[0] != b.N*(n+3) || procs[1] != b.N {
		b.Errorf("processes: %d then %d over %d runs; want %d then %d (only start)", procs[0], procs[1], b.N, b.N*(n+3), b.N)
	}
	b.ReportMetric(wall[0].Seconds()/float64(b.N), "uncached-s/run")
	b.ReportMetric(wall[1].Seconds()/float64(b.N), "cached-s/run")
	b.ReportMetric(float64(procs[0])/float64(b.N), "uncached-procs/run")
	b.ReportMetric(float64(procs[1])/float64(b.N), "cached-procs/run")
}
