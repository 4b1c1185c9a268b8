//go:build unix

package task_test

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU reports, when the function it returns is called after the
// benchmark loop, the CPU time (user + system) the process spent per
// operation: on this shared machine wall time follows the load of the
// other users, CPU time much less.
func reportCPU(b *testing.B) func() {
	start := cpuTime(b)
	return func() { b.ReportMetric((cpuTime(b)-start).Seconds()/float64(b.N), "cpu-s/op") }
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
