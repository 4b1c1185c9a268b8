package ui_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/testproc"
	"github.com/stepflow/stepflow/internal/ui"
)

// newServer serves the fixture's datastore; it returns the server's URL
// and the datastore root.
func newServer(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "ds")
	// A file next to the datastore that no URL may reach.
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("TOP-SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeRuns(t, newFixture(t, root))
	return serveRoot(t, root).URL, root
}

// serveRoot serves the UI of the datastore at root until the test ends.
func serveRoot(t *testing.T, root string) *httptest.Server {
	t.Helper()
	c, err := client.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ui.New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(body)
}

// page fetches a page that must answer 200, with the headers of every page.
func page(t *testing.T, url string) string {
	t.Helper()
	code, h, body := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", url, code, body)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("GET %s: Content-Security-Policy %q", url, csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET %s: no X-Content-Type-Options: nosniff", url)
	}
	if strings.Contains(body, xss) || strings.Contains(body, "<script>alert") {
		t.Errorf("GET %s: a value was not escaped:\n%s", url, body)
	}
	return body
}

func contains(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q in\n%s", what, w, body)
		}
	}
}

func TestPages(t *testing.T) {
	u, _ := newServer(t)
	const escaped = `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`

	contains(t, "flows", page(t, u+"/"), `href="/flows/TrainFlow"`)

	runs := page(t, u+"/flows/TrainFlow")
	contains(t, "runs", runs, "4 runs", `data-run="r-ok"`, `data-run="r-live"`, `badge s-failed`, `href="/flows/TrainFlow/runs/r-fail">r-fail</a>`, "note="+escaped)
	failed := page(t, u+"/flows/TrainFlow?status=failed")
	contains(t, "runs?status=failed", failed, "1 runs", `data-run="r-fail"`)
	if strings.Contains(failed, `data-run="r-ok"`) {
		t.Error("status filter kept a succeeded run")
	}
	if none := page(t, u+"/flows/TrainFlow?tag=weekly"); !strings.Contains(none, "0 runs") {
		t.Errorf("tag filter: %s", none)
	}

	run := page(t, u+"/flows/TrainFlow/runs/r-ok")
	contains(t, "run", run, `<svg xmlns="http://www.w3.org/2000/svg" class="sf-graph"`,
		`class="sf-node k-foreach s-succeeded" data-step="start"`, "3/3 done", "×3",
		`data-api="/api/flows/TrainFlow/runs/r-ok"`, "note="+escaped)

	live := page(t, u+"/flows/TrainFlow/runs/r-live")
	contains(t, "live run", live, `data-status="running"`, `class="sf-node k-linear s-running" data-step="train"`, "1/3 done",
		`class="sf-node k-join s-pending" data-step="join"`)

	resumed := page(t, u+"/flows/TrainFlow/runs/r-resumed")
	contains(t, "resumed run", resumed, `id="resumed">from <a href="/flows/TrainFlow/runs/r-fail">r-fail</a> at step train`,
		`class="sf-node k-foreach s-reused" data-step="start"`, "1/1 reused")

	rfail := page(t, u+"/flows/TrainFlow/runs/r-fail")
	contains(t, "failed run", rfail, `href="/flows/TrainFlow/runs/r-fail/steps/train/tasks/1">train/1</a>`, "diverged "+escaped,
		`class="sf-node k-linear s-failed" data-step="train"`)

	step := page(t, u+"/flows/TrainFlow/runs/r-ok/steps/train")
	contains(t, "step", step, "3 tasks", `data-task="0"`, `data-task="2"`)

	task := page(t, u+"/flows/TrainFlow/runs/r-ok/steps/start/tasks/0")
	contains(t, "task", task, "starting\n"+escaped, `data-artifact="Note"`, `data-artifact="Shards"`, escaped,
		`href="/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/logs/stdout?attempt=0"`)
	retried := page(t, u+"/flows/TrainFlow/runs/r-ok/steps/train/tasks/1")
	contains(t, "retried task", retried, `href="/flows/TrainFlow/runs/r-ok/steps/train/tasks/1?attempt=0"`, "again us")
	first := page(t, u+"/flows/TrainFlow/runs/r-ok/steps/train/tasks/1?attempt=0")
	contains(t, "first attempt", first, "training us", "diverged "+escaped)
	reused := page(t, u+"/flows/TrainFlow/runs/r-resumed/steps/start/tasks/0")
	contains(t, "reused task", reused, `by resume, from <a href="/flows/TrainFlow/runs/r-fail/steps/start/tasks/0">r-fail/start/0</a>`)

	art := page(t, u+"/flows/TrainFlow/runs/r-ok/steps/join/tasks/0/artifacts/Scores")
	contains(t, "large artifact", art, "array of 50000 elements", "first 64 KiB", "[]float64")
	if len(art) > 100<<10 {
		t.Errorf("artifact page of a large value is %d bytes", len(art))
	}
	// A card: framed in a sandbox on the task page, served under its own
	// strict policy, every value escaped.
	end := page(t, u+"/flows/TrainFlow/runs/r-ok/steps/end/tasks/0")
	contains(t, "task with a card", end, `<iframe class="card" sandbox="allow-same-origin" src="/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/card?attempt=0"`)
	if strings.Contains(task, `<iframe class="card" `) || !strings.Contains(task, `<iframe class="card default-card" sandbox="allow-same-origin" src="/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/card?attempt=0&amp;default=1"`) {
		t.Error("a task without a card shows one, or no default card")
	}
	code, h, doc := get(t, u+"/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/card?attempt=0")
	if code != 200 || h.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("card: %d %v", code, h)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "; sandbox allow-same-origin;") ||
		!strings.Contains(csp, "frame-ancestors 'self'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
		t.Errorf("card CSP: %q", csp)
	}
	contains(t, "card", doc, "<h1>Best shard: <strong>eu</strong></h1>", "<th>Shard</th>", "<td>eu</td>", escaped,
		">Score per shard</text>", "<polyline", `<img src="data:image/png;base64,`, `alt="a diagonal"`)
	if strings.Contains(doc, "<script") {
		t.Errorf("the card has markup from a value:\n%s", doc)
	}
	code, h, _ = get(t, u+"/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/card?attempt=0&download=1")
	if code != 200 || h.Get("Content-Disposition") != `attachment; filename="TrainFlow-r-ok-end-0-0.html"` {
		t.Errorf("card download: %d %v", code, h)
	}
	if code, _, body := get(t, u+"/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/card"); code != http.StatusNotFound || !strings.Contains(body, "has no card") {
		t.Errorf("card of a task without one: %d\n%s", code, body)
	}

	testDownloads(t, u)
	code, h, logText := get(t, u+"/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/logs/stdout")
	if code != 200 || logText != "starting\n"+xss+"\n" || h.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("raw log: %d %q %v", code, logText, h)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	code, h, body := get(t, url)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: %d %s\n%s", url, code, h.Get("Content-Type"), body)
	}
	if strings.Contains(body, "<script") {
		t.Errorf("GET %s: JSON with an unescaped <script", url)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func TestAPI(t *testing.T) {
	u, _ := newServer(t)
	var flows struct{ Flows []string }
	getJSON(t, u+"/api/flows", &flows)
	if fmt.Sprint(flows.Flows) != "[TrainFlow]" {
		t.Errorf("flows: %v", flows.Flows)
	}
	var runs struct {
		Runs  []struct{ ID, Status string }
		Total int
	}
	getJSON(t, u+"/api/flows/TrainFlow/runs", &runs)
	if runs.Total != 4 || runs.Runs[0].ID != "r-live" || runs.Runs[0].Status != "running" {
		t.Errorf("runs: %+v", runs)
	}
	var run struct {
		Run   struct{ Status string }
		Steps []struct {
			Name, Status                string
			Done, Total, Failed, Reused int
		}
	}
	getJSON(t, u+"/api/flows/TrainFlow/runs/r-live", &run)
	if got := fmt.Sprint(run.Steps); got != "[{start succeeded 1 1 0 0} {train running 1 3 0 0} {join pending 0 1 0 0} {end pending 0 1 0 0}]" {
		t.Errorf("live run steps: %s", got)
	}
	var tl struct {
		Steps []struct {
			Name  string
			Bars  [][5]int64
			Tasks []string
		}
	}
	getJSON(t, u+"/api/flows/TrainFlow/runs/r-ok/timeline", &tl)
	if tl.Steps[1].Name != "train" || len(tl.Steps[1].Bars) != 4 {
		t.Fatalf("timeline of train: %+v", tl.Steps)
	}
	// The retried task: attempt 0 failed from 1 s to 2 s, attempt 1 succeeded.
	if got := fmt.Sprint(tl.Steps[1].Bars[1:3]); got != "[[1 0 1 1000 2000] [1 1 0 2200 4000]]" {
		t.Errorf("retried task's bars: %s", got)
	}
	var task struct {
		Status    string
		Artifacts []struct{ Name string }
	}
	getJSON(t, u+"/api/flows/TrainFlow/runs/r-ok/steps/start/tasks/0", &task)
	if task.Status != "succeeded" || len(task.Artifacts) != 2 {
		t.Errorf("task: %+v", task)
	}
	var log struct {
		Text   string
		Size   int
		Stored bool
	}
	getJSON(t, u+"/api/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/logs/stdout?offset=9", &log)
	if log.Text != xss+"\n" || log.Size != 9+len(xss)+1 || !log.Stored {
		t.Errorf("log tail: %+v", log)
	}
	var k struct {
		Version  int
		Elements []map[string]any
	}
	getJSON(t, u+"/api/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/card", &k)
	if k.Version != 1 || len(k.Elements) != 5 || k.Elements[0]["markdown"] == nil || k.Elements[1]["table"] == nil {
		t.Errorf("card: %+v", k)
	}
	var art struct{ Value any }
	getJSON(t, u+"/api/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/artifacts/Note", &art)
	if art.Value != xss {
		t.Errorf("artifact value: %v", art.Value)
	}
}

func TestReadOnly(t *testing.T) {
	u, _ := newServer(t)
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		req, _ := http.NewRequest(m, u+"/flows/TrainFlow", strings.NewReader("x"))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d, Allow %q", m, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	res, err := http.Head(u + "/flows/TrainFlow/runs/r-ok")
	if err != nil || res.StatusCode != 200 {
		t.Errorf("HEAD: %v %v", res, err)
	}
}

func TestTraversal(t *testing.T) {
	u, _ := newServer(t)
	for _, p := range []string{
		"/flows/..%2Fsecret.txt",
		"/flows/..%2F..%2Fsecret.txt/runs/x",
		"/flows/TrainFlow/runs/..%2F..%2F..%2Fsecret.txt",
		"/flows/TrainFlow/runs/r-ok/steps/..%2F..%2F..%2F..%2Fsecret.txt",
		"/flows/TrainFlow/runs/r-ok/steps/start/tasks/..%2F..%2F..%2F..%2F..%2Fsecret.txt",
		"/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/artifacts/..%2F..%2Fsecret.txt",
		"/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/logs/..%2F..%2F..%2F..%2F..%2F..%2Fsecret.txt",
		"/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/logs/stdout?attempt=..%2F..%2F..",
		"/flows/TrainFlow/runs/r-ok/steps/end/tasks/..%2F..%2F..%2F..%2F..%2Fsecret.txt/card",
		"/flows/.%2e/runs/r-ok",
		"/flows/TrainFlow/runs/%2e%2e",
		"/flows/TrainFlow/runs/r-ok%5C..%5C..",
		"/flows/TrainFlow/runs/r-ok%00",
		"/assets/..%2F..%2Fsecret.txt",
		"/assets/../../secret.txt",
		"/api/flows/..%2F..%2Fsecret.txt/runs",
		"/api/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/artifacts/..%2F..%2F..%2F..%2F..%2F..%2F..%2Fsecret.txt",
	} {
		code, _, body := get(t, u+p)
		if code == http.StatusOK || strings.Contains(body, "TOP-SECRET") {
			t.Errorf("GET %s: %d\n%s", p, code, body)
		}
	}
	// Bad names are 400, missing things 404.
	if code, _, _ := get(t, u+"/flows/TrainFlow/runs/..%2Fx"); code != http.StatusBadRequest {
		t.Errorf("bad run name: %d, want 400", code)
	}
	if code, _, body := get(t, u+"/flows/TrainFlow/runs/nope"); code != http.StatusNotFound || !strings.Contains(body, "nope") {
		t.Errorf("missing run: %d\n%s", code, body)
	}
	if code, _, _ := get(t, u+"/flows/NoFlow"); code != http.StatusNotFound {
		t.Errorf("missing flow: %d, want 404", code)
	}
}

func TestRunsPaging(t *testing.T) {
	root := filepath.Join(t.TempDir(), "ds")
	f := newFixture(t, root)
	for i := range 120 {
		f.run(t, fmt.Sprintf("run-%03d", i), t0.Add(time.Duration(i)*time.Minute), "")
	}
	ts := serveRoot(t, root)
	p1 := page(t, ts.URL+"/flows/TrainFlow")
	contains(t, "page 1", p1, "120 runs · page 1 of 3", `data-run="run-119"`, `rel="next" href="/flows/TrainFlow?page=2"`)
	p3 := page(t, ts.URL+"/flows/TrainFlow?page=3")
	contains(t, "page 3", p3, "page 3 of 3", `data-run="run-000"`, `rel="prev"`)
	if strings.Count(p3, "data-run=") != 20 {
		t.Errorf("page 3 has %d runs, want 20", strings.Count(p3, "data-run="))
	}
}

// A flow with 1,000 runs: following the runs list's "older" links from the
// first page shows every run once, newest first, 50 a page, and stops at
// the last page. The quick loop (go test -short outside CI) pages 200.
func TestRunsPaging1000(t *testing.T) {
	n := 1000
	if testproc.Quick() {
		n = 200
	}
	root := filepath.Join(t.TempDir(), "ds")
	f := newFixture(t, root)
	for i := range n {
		f.run(t, fmt.Sprintf("run-%04d", i), t0.Add(time.Duration(i)*time.Minute), "")
	}
	ts := serveRoot(t, root)
	next := regexp.MustCompile(`rel="next" href="([^"]+)"`)
	run := regexp.MustCompile(`data-run="([^"]+)"`)
	var seen []string
	url, pages := "/flows/TrainFlow", 0
	for url != "" {
		pages++
		if pages > n/50+1 {
			t.Fatalf("more than %d pages", n/50)
		}
		body := page(t, ts.URL+html.UnescapeString(url))
		contains(t, url, body, fmt.Sprintf("%d runs · page %d of %d", n, pages, n/50))
		for _, m := range run.FindAllStringSubmatch(body, -1) {
			seen = append(seen, m[1])
		}
		url = ""
		if m := next.FindStringSubmatch(body); m != nil {
			url = m[1]
		}
	}
	if pages != n/50 || len(seen) != n {
		t.Fatalf("%d pages, %d runs; want %d pages, %d runs", pages, len(seen), n/50, n)
	}
	for i, id := range seen {
		if want := fmt.Sprintf("run-%04d", n-1-i); id != want {
			t.Fatalf("run %d of the list is %s, want %s (newest first, each once)", i, id, want)
		}
	}
}

// TestUnindexedRuns checks that runs recorded before Stepflow indexed
// attempts (no attempt_index in run.json) show the same steps, counts and
// timeline, found by listing the run's objects.
func TestUnindexedRuns(t *testing.T) {
	u, root := newServer(t)
	urls := []string{}
	for _, run := range []string{"r-ok", "r-fail", "r-resumed", "r-live"} {
		urls = append(urls, u+"/api/flows/TrainFlow/runs/"+run)
		if run != "r-live" { // a running run's timeline ends now
			urls = append(urls, u+"/api/flows/TrainFlow/runs/"+run+"/timeline")
		}
	}
	indexed := map[string]string{}
	for _, url := range urls {
		_, _, indexed[url] = get(t, url)
	}
	for _, run := range []string{"r-ok", "r-fail", "r-resumed", "r-live"} {
		p := filepath.Join(root, "TrainFlow", "runs", run, "run.json")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		old := strings.Replace(string(data), `"attempt_index": 1`, `"attempt_index": 0`, 1)
		if old == string(data) {
			t.Fatalf("%s records no attempt index:\n%s", p, data)
		}
		if err := os.WriteFile(p, resealRecord(t, old), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, url := range urls {
		code, _, body := get(t, url)
		if code != http.StatusOK || body != indexed[url] {
			t.Errorf("%s without the index: %d\n%s\nwith it:\n%s", url, code, body, indexed[url])
		}
	}
}

// resealRecord recomputes a record's checksum after an edit, as a record
// written by an older binary would have it (docs/datastore.md: the last
// field is the SHA-256 of everything before it).
func resealRecord(t *testing.T, rec string) []byte {
	t.Helper()
	const field = ",\n  \"sha256\": \""
	i := strings.LastIndex(rec, field)
	if i < 0 {
		t.Fatalf("record without a checksum:\n%s", rec)
	}
	body := rec[:i] + "\n}"
	sum := sha256.Sum256([]byte(body))
	return []byte(rec[:i] + field + hex.EncodeToString(sum[:]) + "\"\n}\n")
}

// testDownloads: an artifact's Download is what a notebook reads (the
// files dump --export writes): a numeric slice as .npy, another value as
// JSON, a File as its own bytes, with its name and content type; a text
// File's page previews it as text, a binary one as hex.
func testDownloads(t *testing.T, u string) {
	t.Helper()
	const end = "/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/artifacts/"
	for _, tc := range []struct {
		name, file, ctype, prefix string
	}{
		{"Raw", "Raw.npy", "application/x-npy", "\x93NUMPY\x01\x00"},
		{"Best", "Best.json", "application/json", "\"eu\"\n"},
		{"Data", "scores.csv", "text/csv; charset=utf-8", scoresCSV},
		{"Model", "model-7.bin", "application/octet-stream", "\x00\x01\x02weights\xff"},
	} {
		code, h, body := get(t, u+end+tc.name+"?attempt=0&download=1")
		if code != 200 || h.Get("Content-Type") != tc.ctype || h.Get("Content-Disposition") != `attachment; filename=`+tc.file ||
			!strings.HasPrefix(body, tc.prefix) || h.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("download of %s: %d %v %q; want %s, %s, starting %q", tc.name, code, h, body[:min(len(body), 40)], tc.file, tc.ctype, tc.prefix)
		}
	}
	// The .npy of a []byte: the header, then its bytes as uint8.
	if _, _, body := get(t, u+end+"Raw?attempt=0&download=1"); !strings.Contains(body, "'descr': '|u1'") || !strings.HasSuffix(body, "\n\x00\x01hi") {
		t.Errorf("Raw.npy = %q", body)
	}
	_, h, curve := get(t, u+end+"Curve?attempt=0&download=1")
	if !strings.HasPrefix(curve, "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }") || len(curve) != 128+4*8 ||
		h.Get("Content-Disposition") != "attachment; filename=Curve.npy" {
		t.Errorf("Curve.npy: %d bytes %q, %v", len(curve), curve[:min(len(curve), 128)], h)
	}
	data := page(t, u+end+"Data")
	contains(t, "text file", data, `<pre class="value" id="value">shard,score
eu,0.9
us,0.7
</pre>`, "Download scores.csv", "<code>scores.csv</code>")
	model := page(t, u+end+"Model")
	contains(t, "binary file", model, "&lt;11 bytes&gt; 00010277656967687473ff", "Download model-7.bin")
}
