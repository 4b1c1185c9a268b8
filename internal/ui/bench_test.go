package ui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/ui"
)

// serveCold serves one GET of url from a new client and server on root:
// nothing cached but the OS's file cache. It returns the answer's bytes.
func serveCold(b *testing.B, root, url string) int64 {
	c, err := client.Open(context.Background(), root)
	if err != nil {
		b.Fatal(err)
	}
	s, err := ui.New(c, nil)
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1"+url, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d\n%.300s", url, rec.Code, rec.Body.String())
	}
	n, _ := io.Copy(io.Discard, rec.Body)
	return n
}

// benchPages serves each url of pages (name -> URL) cold, as a
// sub-benchmark reporting the answer's bytes.
func benchPages(b *testing.B, root string, pages [][2]string) {
	for _, p := range pages {
		b.Run(p[0], func(b *testing.B) {
			var n int64
			for b.Loop() {
				n = serveCold(b, root, p[1])
			}
			b.ReportMetric(float64(n), "bytes/page")
		})
	}
}

// BenchmarkPages10k serves every page of a run with a 10,000-task
// foreach (each task with an artifact and a log) on a local datastore,
// cold: the run page and its JSON (and those of a 2,000-task run, whose
// records the run view reads to count damage), the timeline, the step page (first,
// middle and last page of its tasks, and filtered by status), one task's
// page and JSON, its artifact and log. The datastore is built in the
// setup, untimed. The budget is 300 ms per page on a quiet machine.
//
//	go test ./internal/ui -run '^$' -bench Pages10k -benchtime 5x
func BenchmarkPages10k(b *testing.B) {
	const width = 10000
	root := filepath.Join(b.TempDir(), "ds")
	f := newFixture(b, root)
	f.run(b, "big", t0, "")
	items := make([]string, width)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	ok, failed := datastore.StatusSucceeded, datastore.StatusFailed
	f.task(b, "big", "start", "0", 0, ok, t0, t0.Add(time.Second), map[string]any{"Shards": items}, "", "")
	for i := range width {
		s := t0.Add(time.Second + time.Duration(i)*time.Millisecond)
		status := ok
		if i%1000 == 7 {
			status = failed
		}
		f.task(b, "big", "train", fmt.Sprint(i), 0, status, s, s.Add(time.Second), map[string]any{"Score": float64(i)}, "training "+items[i]+"\n", "")
	}
	// A run of checkRecordsUpTo tasks: its run view reads every record.
	f.run(b, "mid", t0, "")
	f.task(b, "mid", "start", "0", 0, ok, t0, t0.Add(time.Second), map[string]any{"Shards": items[:1999]}, "", "")
	for i := range 1999 {
		s := t0.Add(time.Second + time.Duration(i)*time.Millisecond)
		f.task(b, "mid", "train", fmt.Sprint(i), 0, ok, s, s.Add(time.Second), map[string]any{"Score": float64(i)}, "", "")
	}
	run := "/flows/TrainFlow/runs/big"
	benchPages(b, root, [][2]string{
		{"run-2000-checked", "/flows/TrainFlow/runs/mid"}, {"run-api-2000-checked", "/api/flows/TrainFlow/runs/mid"},
		{"run", run}, {"run-api", "/api" + run}, {"timeline-api", "/api" + run + "/timeline"},
		{"step", run + "/steps/train"}, {"step-page-50", run + "/steps/train?page=50"}, {"step-last-page", run + "/steps/train?page=100"},
		{"step-failed", run + "/steps/train?status=failed"},
		{"task", run + "/steps/train/tasks/5000"}, {"task-api", "/api" + run + "/steps/train/tasks/5000"},
		{"artifact", run + "/steps/train/tasks/5000/artifacts/Score"}, {"log", run + "/steps/train/tasks/5000/logs/stdout"},
	})
}

// BenchmarkPages1000Runs serves the pages of a flow with 1,000 runs (each
// of four tasks), cold: the flows page, the runs page (first and last
// page, and filtered), its JSON, and one run's page. The datastore is
// built in the setup.
//
//	go test ./internal/ui -run '^$' -bench Pages1000Runs -benchtime 5x
func BenchmarkPages1000Runs(b *testing.B) {
	const n = 1000
	root := filepath.Join(b.TempDir(), "ds")
	f := newFixture(b, root)
	ok := datastore.StatusSucceeded
	for i := range n {
		id := fmt.Sprintf("run-%04d", i)
		s := t0.Add(time.Duration(i) * time.Minute)
		f.run(b, id, s, "")
		f.task(b, id, "start", "0", 0, ok, s, s.Add(time.Second), map[string]any{"Shards": []string{"eu"}}, "", "")
		f.task(b, id, "train", "0", 0, ok, s, s.Add(2*time.Second), map[string]any{"Score": 0.5}, "", "")
		f.task(b, id, "join", "0", 0, ok, s, s.Add(3*time.Second), nil, "", "")
		f.task(b, id, "end", "0", 0, ok, s, s.Add(4*time.Second), nil, "", "")
		f.end(b, id, ok, s.Add(4*time.Second))
	}
	benchPages(b, root, [][2]string{
		{"flows", "/"}, {"runs", "/flows/TrainFlow"}, {"runs-last-page", "/flows/TrainFlow?page=20"},
		{"runs-tag", "/flows/TrainFlow?tag=nightly&status=succeeded"}, {"runs-api", "/api/flows/TrainFlow/runs"},
		{"run", "/flows/TrainFlow/runs/run-0500"},
	})
}
