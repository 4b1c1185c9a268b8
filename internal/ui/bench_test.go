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

// BenchmarkRunPage10k serves the run page of a run with a 10,000-task
// foreach on a local datastore, cold (a new server each time, nothing
// cached but the OS's file cache). It reports the page's bytes; the issue's
// budget is under 1 s and under 2 MB.
//
//	go test ./internal/ui -run '^$' -bench RunPage10k -benchtime 5x
func BenchmarkRunPage10k(b *testing.B) {
	const width = 10000
	root := filepath.Join(b.TempDir(), "ds")
	f := newFixture(b, root)
	f.run(b, "big", t0, "")
	items := make([]string, width)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	ok := datastore.StatusSucceeded
	f.task(b, "big", "start", "0", 0, ok, t0, t0.Add(time.Second), map[string]any{"Shards": items}, "", "")
	for i := range width {
		s := t0.Add(time.Second + time.Duration(i)*time.Millisecond)
		f.task(b, "big", "train", fmt.Sprint(i), 0, ok, s, s.Add(time.Second), map[string]any{"Score": float64(i)}, "", "")
	}
	for _, route := range []string{"", "/timeline"} {
		for _, api := range []bool{false, true} {
			if route != "" && !api {
				continue
			}
			name := "page"
			url := "/flows/TrainFlow/runs/big"
			if api {
				name, url = "api"+route, "/api/flows/TrainFlow/runs/big"+route
			}
			b.Run(name, func(b *testing.B) {
				var n int64
				for b.Loop() {
					c, err := client.Open(context.Background(), root)
					if err != nil {
						b.Fatal(err)
					}
					s, err := ui.New(c, nil)
					if err != nil {
						b.Fatal(err)
					}
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
					if rec.Code != http.StatusOK {
						b.Fatalf("%d", rec.Code)
					}
					n, _ = io.Copy(io.Discard, rec.Body)
				}
				b.ReportMetric(float64(n), "bytes/page")
			})
		}
	}
}
