// Package benchcpu reports the CPU time a benchmark spends per operation,
// next to the wall time go test reports: on a shared machine wall time
// follows the other users' load, CPU time much less.
package benchcpu

import "testing"

// Report starts counting the process's CPU time (user + system); the
// function it returns, called after the benchmark loop, reports it per
// operation as "cpu-s/op". Where the platform cannot tell CPU time, it
// reports nothing.
func Report(b *testing.B) func() {
	start, ok := cpuTime(b)
	if !ok {
		return func() {}
	}
	return func() {
		end, _ := cpuTime(b)
		b.ReportMetric((end-start).Seconds()/float64(b.N), "cpu-s/op")
	}
}
