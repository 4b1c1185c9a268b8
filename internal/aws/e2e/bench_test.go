package e2e_test

import (
	"os"
	"strconv"
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

// BenchmarkWideForeach runs faultflow with a foreach of
// STEPFLOW_BENCH_WIDTH items (default 1,000) over one step on the emulated
// stack, compiled as today's Step Functions Map (--no-array-jobs) and as
// AWS Batch array jobs, and reports per execution its state transitions,
// SubmitJob calls and Batch jobs (wall time is the ns/op). The emulated
// compute environment runs 3 jobs at once, so the wall time is mostly the
// jobs'; the Map's own cost shows in transitions and SubmitJob calls
// (docs/state-machine.md, "What a run costs").
//
//	go test ./internal/aws/e2e -run '^$' -bench WideForeach -benchtime 1x
func BenchmarkWideForeach(b *testing.B) {
	width := 1000
	if v := os.Getenv("STEPFLOW_BENCH_WIDTH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			b.Fatalf("STEPFLOW_BENCH_WIDTH=%q is not a width", v)
		}
		width = n
	}
	w := getWorld(b)
	fp := w.build(b, faultflow)
	for _, c := range []struct {
		name  string
		flags []string
	}{{"map", []string{"--no-array-jobs"}}, {"array", nil}} {
		b.Run(c.name, func(b *testing.B) {
			def := w.compile(b, fp, c.flags...)
			var transitions, submits, jobs int
			for b.Loop() {
				e := w.execute(b, def, map[string]any{"Parameters": map[string]string{"n": strconv.Itoa(width)}}, execOpts{})
				if e.Status != "SUCCEEDED" {
					b.Fatalf("execution %s: %s %.1000s\n%s", e.Status, e.Error, e.Cause, e.failedJobs())
				}
				for _, n := range e.Entered {
					transitions += n
				}
				for _, n := range e.Retried {
					transitions += n
				}
				submits += e.Submits
				jobs += len(e.Jobs)
			}
			b.ReportMetric(float64(transitions)/float64(b.N), "transitions/op")
			b.ReportMetric(float64(submits)/float64(b.N), "SubmitJob/op")
			b.ReportMetric(float64(jobs)/float64(b.N), "jobs/op")
		})
	}
}
