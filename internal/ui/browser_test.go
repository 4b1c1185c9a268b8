package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/testproc"
)

// TestBrowser drives Debian's chromium (scripts/test.sh installs it) through
// the UI: graph states, a task's card, a failure's task page and logs,
// escaping as the browser sees it, a resumed run, and a running run whose counts change
// live while the test records its tasks. Screenshots go to the test's
// artifact directory (go test -artifacts); with STEPFLOW_UPDATE_SCREENSHOT=1
// the run page's and the card's also replace docs/ui-run.png and
// docs/ui-card.png.
func TestBrowser(t *testing.T) {
	testproc.SkipShort(t, "drives chromium")
	t.Parallel() // waits on the browser far more than it uses the CPU
	exe := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		t.Fatal("chromium is not installed; install it with: apt-get install chromium (scripts/test.sh does)")
	}
	u, root := newServer(t)
	f := newFixture(t, root)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	// A dialog would mean a value ran as script.
	dialogs := make(chan string, 8)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if d, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
			select {
			case dialogs <- d.Message:
			default:
			}
		}
	}))
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	defer func() {
		close(dialogs)
		for m := range dialogs {
			t.Errorf("a script ran: dialog %q", m)
		}
	}()

	do := func(acts ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Steps(acts...)); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return s
	}
	poll := func(js string) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second)))
		return err
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(t.ArtifactDir(), name), png, 0o644); err != nil {
			t.Fatal(err)
		}
		if docs := map[string]string{"run.png": "ui-run.png", "task-card.png": "ui-card.png"}[name]; docs != "" && os.Getenv("STEPFLOW_UPDATE_SCREENSHOT") == "1" {
			if err := os.WriteFile(filepath.Join("..", "..", "docs", docs), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// states returns the graph's step:state classes, as drawn.
	states := func() string {
		t.Helper()
		return eval(`Array.from(document.querySelectorAll("#graph g.sf-node")).map(g =>
			g.dataset.step + ":" + Array.from(g.classList).filter(c => c.startsWith("s-")).join("")).join(" ")`)
	}

	// A finished run: every step succeeded; the timeline has one bar per
	// attempt (the retried task has two).
	do(chromedp.Navigate(u+"/flows/TrainFlow/runs/r-ok"), chromedp.WaitVisible(`#timeline svg`))
	if got := states(); got != "start:s-succeeded train:s-succeeded join:s-succeeded end:s-succeeded" {
		t.Errorf("r-ok graph states: %s", got)
	}
	if bars := eval(`String(document.querySelectorAll("#timeline rect.bar").length)`); bars != "7" {
		t.Errorf("timeline of r-ok has %s bars, want 7 (start, 3 train tasks and a retry, join, end)", bars)
	}
	shot("run.png")

	// A card: from the run's graph to the end step, its task and the card
	// framed on the task page; then the card's own page, where its style
	// (allowed by hash), its image (a data: URL) and its charts show, and
	// markup in its values is text.
	do(chromedp.Click(`#graph a[href$="/steps/end"]`, chromedp.NodeVisible), chromedp.WaitVisible(`tr[data-task="0"] a`),
		chromedp.Click(`tr[data-task="0"] a`, chromedp.NodeVisible), chromedp.WaitVisible(`iframe.card`))
	cardURL := eval(`document.querySelector("iframe.card").src`)
	if !strings.HasSuffix(cardURL, "/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/card?attempt=0") || eval(`document.querySelector("iframe.card").sandbox.value`) != "allow-same-origin" {
		t.Errorf("the task page frames %q, want the card in a sandbox that allows no script", cardURL)
	}
	// The framed document is sandboxed (no script, not even the test's):
	// the page's resource timing says it loaded.
	if err := poll(`performance.getEntriesByType("resource").some(e => e.initiatorType === "iframe" && e.name === "` + cardURL + `" && e.responseStatus === 200)`); err != nil {
		t.Errorf("the card's frame did not load: %v", err)
	}
	// A text File's row previews its text, not hex.
	if cell := text(`tr[data-artifact="Data"] td:last-child`); !strings.HasPrefix(cell, "shard,score") {
		t.Errorf("the task page previews the CSV file as %q, want its text", cell)
	}
	// A field a join dropped stays marked in the steps after it.
	if cell := text(`tr[data-artifact="Score"] td:last-child`); !strings.HasPrefix(cell, "dropped") || !strings.Contains(cell, "by join join") {
		t.Errorf("end's Score, dropped by the join before it, shows %q", cell)
	}
	// The frame is as tall as the card: nothing of it (the last chart's
	// axis included) is cut or scrolled.
	const fitted = `(() => { const f = document.querySelector("iframe.card"); const d = f.contentDocument;
		if (!d || d.readyState !== "complete" || !d.querySelector("svg.chart")) return false;
		const charts = d.querySelectorAll("svg.chart"); const last = charts[charts.length - 1];
		return f.clientHeight >= d.documentElement.scrollHeight && f.clientHeight <= d.documentElement.scrollHeight + 8 &&
			last.getBoundingClientRect().bottom <= f.clientHeight; })()`
	if err := poll(fitted); err != nil {
		t.Errorf("the card's frame does not fit its card: frame %s px, card %s px", eval(`String(document.querySelector("iframe.card").clientHeight)`),
			eval(`String(document.querySelector("iframe.card").contentDocument.documentElement.scrollHeight)`))
	}
	// Logs come before the artifacts, and the page says where each part is.
	if order := eval(`String(document.getElementById("logs").getBoundingClientRect().top < document.getElementById("artifacts").getBoundingClientRect().top)`); order != "true" {
		t.Error("the task page shows its artifacts before its logs")
	}
	if nav := text(`#jump`); !strings.Contains(nav, "Logs") || !strings.Contains(nav, "Artifacts") {
		t.Errorf("the task page's jump links: %q", nav)
	}
	shot("task-card.png")
	// The same document served alone, as a file that card view -o writes
	// is opened (its CSP in a meta element, not sandboxed: the test can
	// look inside).
	_, _, doc := get(t, cardURL)
	alone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, doc)
	}))
	defer alone.Close()
	do(chromedp.Navigate(alone.URL+"/card.html"), chromedp.WaitReady(`svg.chart`))
	if h1, charts := text(`h1`), eval(`String(document.querySelectorAll("svg.chart").length)`); h1 != "Best shard: eu" || charts != "2" {
		t.Errorf("card: heading %q, %s charts", h1, charts)
	}
	if cell := text(`tbody tr:nth-child(3) td`); cell != xss {
		t.Errorf("card table cell shows %q, want %q as text", cell, xss)
	}
	if w := eval(`String(document.querySelector("img").naturalWidth)`); w != "8" {
		t.Errorf("the card's image did not load under its CSP: natural width %s", w)
	}
	if c := eval(`getComputedStyle(document.querySelector("table")).borderCollapse`); c != "collapse" {
		t.Errorf("the card's style sheet was refused by its CSP: border-collapse %q", c)
	}
	shot("card.png")

	// A failed run: click through the failure to the task, its error and logs.
	do(chromedp.Navigate(u+"/flows/TrainFlow/runs/r-fail"), chromedp.WaitVisible(`#timeline svg`),
		chromedp.Click(`ul.failures a`, chromedp.NodeVisible), chromedp.WaitVisible(`#log-stdout`))
	if title, errText := eval(`document.title`), text(`pre.error`); !strings.Contains(title, "TrainFlow/r-fail/train/1") || errText != "fit 1: diverged "+xss {
		t.Errorf("failure's task page: title %q, error %q", title, errText)
	}
	shot("task-failed.png")

	// A log line with markup shows as text.
	do(chromedp.Navigate(u+"/flows/TrainFlow/runs/r-ok/steps/start/tasks/0"), chromedp.WaitVisible(`#log-stdout`))
	if logText := text(`#log-stdout`); !strings.Contains(logText, xss) {
		t.Errorf("log shows %q, want the line %q as text", logText, xss)
	}

	// A text File previews as its text, and downloads under its own name;
	// an array downloads as .npy.
	const arts = "/flows/TrainFlow/runs/r-ok/steps/end/tasks/0/artifacts/"
	do(chromedp.Navigate(u+arts+"Data"), chromedp.WaitVisible(`#value`))
	if v, dl, name := text(`#value`), text(`#download`), eval(`document.querySelector("#download").getAttribute("download")`); v != scoresCSV || dl != "Download scores.csv" || name != "scores.csv" {
		t.Errorf("text file's page: preview %q, link %q (download=%q); want the CSV as text and scores.csv", v, dl, name)
	}
	do(chromedp.Navigate(u+arts+"Curve"), chromedp.WaitVisible(`#download`))
	if dl := text(`#download`); dl != "Download Curve.npy" {
		t.Errorf("array's page: link %q, want Download Curve.npy", dl)
	}

	// A join's dropped fields are marked, not shown as zeros; its default
	// card (built from the records, no code) has its place in the graph,
	// the run's parameters, its timings and its artifacts' summaries.
	do(chromedp.Navigate(u+"/flows/TrainFlow/runs/r-ok/steps/join/tasks/0"), chromedp.WaitVisible(`tr[data-artifact="Score"]`))
	if cell, best := text(`tr[data-artifact="Score"] td:last-child`), text(`tr[data-artifact="Best"] td:last-child`); !strings.HasPrefix(cell, "dropped") || strings.Contains(cell, "0") || best != `"eu"` {
		t.Errorf("join's artifacts: dropped Score shows %q, Best %q", cell, best)
	}
	const defaultDoc = `document.querySelector("iframe.default-card").contentDocument`
	if err := poll(defaultDoc + `.readyState === "complete" && ` + defaultDoc + `.querySelectorAll("table").length === 3`); err != nil {
		t.Fatalf("the default card did not load: %v", err)
	}
	dc := eval(defaultDoc + `.body.innerText`)
	for _, want := range []string{"Task join/0: succeeded", "Place in the graph", "train → join → end", "join is a join: it merges its inputs",
		"Parameters", "alpha\t0.5", "Timings", "Artifacts", "Scores\t[]float64", "Score\tfloat64\tdropped by this join"} {
		if !strings.Contains(dc, want) {
			t.Errorf("the default card lacks %q:\n%s", want, dc)
		}
	}
	if eval(`String(document.querySelector("iframe.default-card").clientHeight >= `+defaultDoc+`.documentElement.scrollHeight)`) != "true" {
		t.Error("the default card's frame does not fit it")
	}
	shot("task-default-card.png")

	// A failed step's label ("2/3 done · 1 failed") fits its node.
	do(chromedp.Navigate(u+"/flows/TrainFlow/runs/r-fail"), chromedp.WaitVisible(`#graph svg`))
	if over := eval(`Array.from(document.querySelectorAll("#graph g.sf-node")).filter(g =>
			g.querySelector(".sf-sub").getBBox().width > Number(g.querySelector("rect").getAttribute("width")) - 8 ||
			g.querySelector(".sf-name").getBBox().width > Number(g.querySelector("rect").getAttribute("width")) - 8).map(g =>
			g.dataset.step + ": " + g.querySelector(".sf-sub").textContent).join("; ")`); over != "" {
		t.Errorf("labels wider than their nodes: %s", over)
	}
	if sub := text(`#graph g.sf-node[data-step="train"] .sf-sub`); !strings.Contains(sub, "failed") {
		t.Errorf("r-fail's train node says %q, want its failure counted", sub)
	}

	// A resumed run shows its reused step and where from.
	do(chromedp.Navigate(u+"/flows/TrainFlow/runs/r-resumed"), chromedp.WaitVisible(`#resumed`))
	if got, resumed := states(), text(`#resumed`); !strings.HasPrefix(got, "start:s-reused train:s-succeeded") || !strings.Contains(resumed, "from r-fail at step train") {
		t.Errorf("resumed run: states %s, %q", got, resumed)
	}

	// A run resumed without a step (every task that succeeded reused)
	// says so, not "at step ;".
	if err := f.s.Runs().Put(context.Background(), datastore.Run{ID: "r-again", Start: t0.Add(3 * time.Hour), Origin: "r-fail",
		Runtime: "local", Graph: []byte(trainGraph)}); err != nil {
		t.Fatal(err)
	}
	do(chromedp.Navigate(u+"/flows/TrainFlow/runs/r-again"), chromedp.WaitVisible(`#resumed`))
	if resumed := text(`#resumed`); resumed != "from r-fail; the tasks that succeeded there were reused, the others ran again" {
		t.Errorf("a run resumed without a step: %q", resumed)
	}

	// A running task's card follows its step's refreshes
	// (stepflow.Context.RefreshCard): hidden until the first, then
	// reloaded at each.
	bg := context.Background()
	if err := f.s.Attempts().PutStarted(bg, "r-live", "train", "1", 0, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Logs().PutPart(bg, "r-live", "train", "1", 0, "stdout", 1, strings.NewReader("epoch 0\n")); err != nil {
		t.Fatal(err)
	}
	refresh := func(epoch int) {
		t.Helper()
		k := &card.Card{}
		k.Markdown(fmt.Sprintf("## epoch %d", epoch))
		loss := make([]float64, epoch)
		for i := range loss {
			loss[i] = 1 / float64(i+1)
		}
		if err := k.Chart(card.Chart{Kind: card.Line, Title: "loss", Series: []card.Series{{Y: loss}}}); err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.Attempts().PutLiveCard(bg, "r-live", "train", "1", 0, data); err != nil {
			t.Fatal(err)
		}
	}
	do(chromedp.Navigate(u+"/flows/TrainFlow/runs/r-live/steps/train/tasks/1"), chromedp.WaitReady(`#live-card`))
	if hidden := eval(`String(document.getElementById("live-card").hidden)`); hidden != "true" {
		t.Errorf("a running task without a refreshed card shows its card box (hidden=%s)", hidden)
	}
	const liveHeading = `(() => { const d = document.querySelector("#live-card iframe").contentDocument; const h = d && d.querySelector("h2"); return h ? h.textContent : ""; })()`
	for epoch := 1; epoch <= 2; epoch++ {
		refresh(epoch)
		want := fmt.Sprintf("epoch %d", epoch)
		if err := poll(`!document.getElementById("live-card").hidden && ` + liveHeading + ` === "` + want + `"`); err != nil {
			t.Fatalf("the running task's card did not show the refresh %q: %v (shows %q)", want, err, eval(liveHeading))
		}
	}
	shot("task-live-card.png")

	// A running run: the counts change live as its tasks finish.
	const trainDone = `#steps tr[data-step="train"] [data-f="done"]`
	do(chromedp.Navigate(u+"/flows/TrainFlow/runs/r-live"), chromedp.WaitVisible(`#timeline svg`))
	if got, d := states(), text(trainDone); got != "start:s-succeeded train:s-running join:s-pending end:s-pending" || d != "1" {
		t.Fatalf("live run before: states %s, train done %s", got, d)
	}
	shot("run-live.png")
	now := time.Now().UTC()
	ok := datastore.StatusSucceeded
	for i := 1; i < 3; i++ {
		f.task(t, "r-live", "train", fmt.Sprint(i), 0, ok, now.Add(-time.Second), now, map[string]any{"Score": 0.5}, "", "")
	}
	if err := poll(`document.querySelector('` + trainDone + `').textContent === "3"`); err != nil {
		t.Fatalf("the live count did not reach 3: %v (shows %s)", err, text(trainDone))
	}
	f.task(t, "r-live", "join", "0", 0, ok, now, now, nil, "", "")
	f.task(t, "r-live", "end", "0", 0, ok, now, now, nil, "", "")
	f.end(t, "r-live", ok, now)
	if err := poll(`document.getElementById("run-status").textContent === "succeeded"`); err != nil {
		t.Fatalf("the live run's status did not turn succeeded: %v", err)
	}
	if got := states(); got != "start:s-succeeded train:s-succeeded join:s-succeeded end:s-succeeded" {
		t.Errorf("live run after: %s", got)
	}
	shot("run-live-done.png")
}
