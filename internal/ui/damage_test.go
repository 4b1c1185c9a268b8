package ui_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// flip flips a byte in the middle of a file.
func flip(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDamageShown: a damaged task record, artifact, card or heartbeat is
// shown as damaged, with the verify --repair line, on the run's graph and
// table, in the run's JSON, on the step and task pages and in the task's
// JSON; never counted as done, never a 500.
func TestDamageShown(t *testing.T) {
	root := filepath.Join(t.TempDir(), "ds")
	f := newFixture(t, root)
	writeRuns(t, f)
	ctx := context.Background()
	// r-live's runtime beats; then its heartbeat is damaged.
	if err := f.s.Leases().PutHeartbeat(ctx, datastore.Lease{Run: "r-live", Host: "h", PID: 1, Beat: time.Now()}); err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(root, "TrainFlow", "runs")
	flip(t, filepath.Join(runs, "r-live", "heartbeat.json"))
	flip(t, filepath.Join(runs, "r-ok", "train", "2", "0", "attempt.json"))
	a, err := f.s.Attempts().Latest(ctx, "r-ok", "end", "0")
	if err != nil {
		t.Fatal(err)
	}
	blob := func(h string) string { return filepath.Join(root, "TrainFlow", "blobs", h[:2], h) }
	flip(t, blob(a.Card))
	flip(t, blob(a.Artifacts["Best"].Hash))

	ts := serveRoot(t, root)
	u := ts.URL
	const repair = "stepflow verify --repair TrainFlow/r-ok"

	run := page(t, u+"/flows/TrainFlow/runs/r-ok")
	contains(t, "run", run, `class="sf-node k-linear s-damaged" data-step="train"`, "2/3 done · 1 damaged", `<td data-f="damaged">1</td>`,
		`id="damaged"`, "TrainFlow/runs/r-ok/train/2/0/attempt.json", repair)
	var rj struct {
		Steps []struct {
			Name          string
			Status        string
			Done, Damaged int
		}
		Checked bool
		Repair  string
	}
	getJSON(t, u+"/api/flows/TrainFlow/runs/r-ok", &rj)
	found := false
	for _, st := range rj.Steps {
		if st.Name == "train" {
			found = true
			if st.Status != "damaged" || st.Damaged != 1 || st.Done != 2 {
				t.Errorf("run JSON: train %+v, want damaged, 1 damaged, 2 done", st)
			}
		}
	}
	if !found || !rj.Checked || !strings.Contains(rj.Repair, repair) {
		t.Errorf("run JSON: %+v", rj)
	}

	step := page(t, u+"/flows/TrainFlow/runs/r-ok/steps/train")
	contains(t, "step", step, `data-task="2"`, `badge s-damaged`)

	task := page(t, u+"/flows/TrainFlow/runs/r-ok/steps/train/tasks/2")
	contains(t, "damaged task", task, `badge s-damaged">damaged`, "<dt>Damaged</dt>", "attempt.json", `id="repair"`, repair)
	var tj struct{ Status, Error, Repair string }
	getJSON(t, u+"/api/flows/TrainFlow/runs/r-ok/steps/train/tasks/2", &tj)
	if tj.Status != "damaged" || !strings.Contains(tj.Error, "attempt.json") || !strings.Contains(tj.Repair, repair) {
		t.Errorf("task JSON: %+v", tj)
	}

	// The end task: its artifact Best and its card are damaged.
	end := page(t, u+"/flows/TrainFlow/runs/r-ok/steps/end/tasks/0")
	contains(t, "task with a damaged artifact", end, `data-artifact="Best"`, `badge s-damaged">damaged`, repair)
	for _, p := range []string{"/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/card?attempt=0",
		"/api/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/card?attempt=0",
		"/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/artifacts/Best",
		"/api/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/artifacts/Best"} {
		code, _, body := get(t, u+p)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "damaged") || !strings.Contains(body, repair) {
			t.Errorf("GET %s: %d, want 422 naming the damage and the repair\n%.400s", p, code, body)
		}
	}

	// A damaged heartbeat: the run is not "running".
	live := page(t, u+"/flows/TrainFlow/runs/r-live")
	contains(t, "run with a damaged heartbeat", live, `data-status="damaged"`, "heartbeat.json")
	var runs1 struct{ Runs []struct{ ID, Status string } }
	getJSON(t, u+"/api/flows/TrainFlow/runs", &runs1)
	for _, r := range runs1.Runs {
		if r.ID == "r-live" && r.Status != "damaged" {
			t.Errorf("runs JSON: r-live is %q, want damaged", r.Status)
		}
	}
}
