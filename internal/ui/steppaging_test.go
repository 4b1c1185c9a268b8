package ui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// TestStepPaging: a step's page lists its tasks 200 at a time in task
// order, filtered by status, each as its record holds it (a damaged one
// as damaged, also on a page the filter on damage builds), paged from the
// run's attempt index.
func TestStepPaging(t *testing.T) {
	const n = 450
	root := filepath.Join(t.TempDir(), "ds")
	f := newFixture(t, root)
	f.run(t, "wide", t0, "")
	ok, failed := datastore.StatusSucceeded, datastore.StatusFailed
	f.task(t, "wide", "start", "0", 0, ok, t0, t0.Add(time.Second), nil, "", "")
	for i := range n {
		status := ok
		if i%100 == 3 {
			status = failed
		}
		f.task(t, "wide", "train", fmt.Sprint(i), 0, status, t0, t0.Add(time.Second), nil, "", "")
	}
	flip(t, filepath.Join(root, "TrainFlow", "runs", "wide", "train", "404", "0", "attempt.json"))
	if _, err := os.Stat(filepath.Join(root, "TrainFlow", "runs", "wide", "attempt-index")); err != nil {
		t.Fatalf("the fixture's run has no attempt index: %v", err)
	}
	ts := serveRoot(t, root)
	rows := regexp.MustCompile(`<tr data-task="([^"]+)">.*?badge s-([a-z]+)`)
	tasks := func(body string) (ids []string, statuses map[string]string) {
		statuses = map[string]string{}
		for _, m := range rows.FindAllStringSubmatch(body, -1) {
			ids = append(ids, m[1])
			statuses[m[1]] = m[2]
		}
		return ids, statuses
	}
	base := ts.URL + "/flows/TrainFlow/runs/wide/steps/train"
	for pg, want := range map[int][2]int{1: {0, 200}, 2: {200, 400}, 3: {400, 450}, 9: {400, 450}} {
		body := page(t, fmt.Sprintf("%s?page=%d", base, pg))
		ids, st := tasks(body)
		if len(ids) != want[1]-want[0] || ids[0] != fmt.Sprint(want[0]) || ids[len(ids)-1] != fmt.Sprint(want[1]-1) {
			t.Errorf("page %d: %d tasks %s…%s, want %d…%d", pg, len(ids), ids[0], ids[len(ids)-1], want[0], want[1]-1)
		}
		if !strings.Contains(body, fmt.Sprintf("%d tasks · page %d of 3", n, min(pg, 3))) {
			t.Errorf("page %d: no count line", pg)
		}
		if want[0] == 400 && (st["404"] != "damaged" || st["403"] != "failed" || st["405"] != "succeeded") {
			t.Errorf("page %d: 403 %s, 404 %s, 405 %s; want failed, damaged, succeeded", pg, st["403"], st["404"], st["405"])
		}
	}
	ids, _ := tasks(page(t, base+"?status=failed"))
	if strings.Join(ids, ",") != "3,103,203,303,403" {
		t.Errorf("status=failed: %v", ids)
	}
	ids, _ = tasks(page(t, base+"?status=damaged"))
	if strings.Join(ids, ",") != "404" {
		t.Errorf("status=damaged: %v", ids)
	}
}
