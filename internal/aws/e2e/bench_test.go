package e2e_test

import (
	"testing"
)

// BenchmarkBatchJob runs HelloFlow (three jobs) on the emulated stack and
// reports the mean time a job takes in the emulated Batch, from its start
// (a slot of the compute environment taken) to its exit: for a step that
// does nothing, the cost of starting a task in the cloud, here (pull,
// unpack and container set-up included; the image is unpacked once per
// machine, as a Batch host caches it).
//
//	go test ./internal/aws/e2e -run '^$' -bench BatchJob -benchtime 10x
func BenchmarkBatchJob(b *testing.B) {
	w := getWorld(b)
	hello := w.build(b, module+"/examples/hello")
	c := w.compile(b, hello)
	var jobs, ms int64
	for b.Loop() {
		e := w.execute(b, c, map[string]any{}, execOpts{})
		if e.Status != "SUCCEEDED" {
			b.Fatalf("execution %s: %s %s", e.Status, e.Error, e.Cause)
		}
		for _, j := range e.Jobs {
			jobs++
			ms += j.StoppedAt - j.StartedAt
		}
	}
	b.ReportMetric(float64(ms)/float64(jobs), "ms/job")
}
