package ui_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
)

// A running task's output so far (its log parts) is on its page and in
// the log API the page polls, from an offset on, as text.
func TestRunningTaskLog(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "ds")
	f := newFixture(t, root)
	start := time.Now().UTC().Add(-5 * time.Second)
	f.run(t, "r-tail", start, "")
	if err := f.s.Attempts().PutStarted(ctx, "r-tail", "start", "0", 0, start); err != nil {
		t.Fatal(err)
	}
	part := func(n int, text string) {
		t.Helper()
		if err := f.s.Logs().PutPart(ctx, "r-tail", "start", "0", 0, "stdout", n, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	first := "epoch 1\n" + xss + "\n"
	part(1, first)
	ts := serveRoot(t, root)
	task := ts.URL + "/flows/TrainFlow/runs/r-tail/steps/start/tasks/0"
	api := ts.URL + "/api/flows/TrainFlow/runs/r-tail/steps/start/tasks/0/logs/stdout?attempt=0"

	body := page(t, task)
	contains(t, "running task page", body, `data-running="true"`, "epoch 1\n&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		fmt.Sprintf(`data-size="%d"`, len(first)))
	if strings.Contains(body, `id="log-stdout-note"`) {
		t.Errorf("running task page says its stdout is not saved yet:\n%s", body)
	}

	type logJSON struct {
		Text   string
		Size   int
		Status string
		Stored bool
	}
	var got logJSON
	getJSON(t, api+"&offset=0", &got)
	if want := (logJSON{first, len(first), client.StatusRunning, true}); got != want {
		t.Errorf("log API of a running task = %+v, want %+v", got, want)
	}
	// The page polls from the size it has: it gets what came since.
	part(2, "epoch 2\n")
	getJSON(t, api+fmt.Sprintf("&offset=%d", len(first)), &got)
	if want := (logJSON{"epoch 2\n", len(first) + len("epoch 2\n"), client.StatusRunning, true}); got != want {
		t.Errorf("log API from offset %d = %+v, want %+v", len(first), got, want)
	}
	// No output yet on stderr: not an error.
	getJSON(t, ts.URL+"/api/flows/TrainFlow/runs/r-tail/steps/start/tasks/0/logs/stderr?attempt=0&offset=0", &got)
	if want := (logJSON{"", 0, client.StatusRunning, false}); got != want {
		t.Errorf("log API of stderr without output = %+v, want %+v", got, want)
	}
	code, _, raw := get(t, task+"/logs/stdout?attempt=0")
	if code != 200 || raw != first+"epoch 2\n" {
		t.Errorf("raw log of a running task: %d %q", code, raw)
	}
}
