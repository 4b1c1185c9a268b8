package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// show says what a resumed run reused, and from where.
func TestShowResumedRun(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "F")
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Runs().Put(ctx, datastore.Run{Flow: "F", ID: "o", Start: t0, Runtime: "local"}))
	must(s.Runs().Put(ctx, datastore.Run{Flow: "F", ID: "n", Start: t0.Add(time.Hour), Runtime: "local", Origin: "o", Tags: []string{"retry"}}))
	ok := datastore.StatusSucceeded
	must(s.Attempts().Put(ctx, datastore.Attempt{Run: "n", Step: "start", Task: "0", Status: ok, Start: t0, End: t0.Add(time.Second), Origin: "o/start/0"}))
	must(s.Attempts().Put(ctx, datastore.Attempt{Run: "n", Step: "end", Task: "0", Status: ok, Start: t0.Add(time.Hour), End: t0.Add(time.Hour + time.Second)}))
	c, err := client.Open(ctx, root)
	must(err)
	r, err := c.Flow("F").Run(ctx, "n")
	must(err)
	var out bytes.Buffer
	must((&Inspector{Flow: c.Flow("F"), Stdout: &out}).showRun(ctx, r))
	for _, want := range []string{
		"Tags:      retry\n",
		"Resumed:   from o, reusing every task that succeeded there",
		"REUSED",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show does not say %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "?") {
		t.Errorf("show prints a ?:\n%s", out.String())
	}
	lines := strings.Split(out.String(), "\n")
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 0 && (f[0] == "start" || f[0] == "end") {
			want := map[string]string{"start": "1", "end": "0"}[f[0]]
			if f[len(f)-1] != want {
				t.Errorf("step %s: REUSED %s, want %s:\n%s", f[0], f[len(f)-1], want, out.String())
			}
		}
	}
}

// logs of a task that resume reused print the logs of the task that ran,
// saying so.
func TestLogsOfReusedTask(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "F")
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ok, failed := datastore.StatusSucceeded, datastore.StatusFailed
	must(s.Runs().Put(ctx, datastore.Run{Flow: "F", ID: "o", Start: t0, Runtime: "local"}))
	must(s.Runs().Put(ctx, datastore.Run{Flow: "F", ID: "n", Start: t0.Add(time.Hour), Runtime: "local", Origin: "o"}))
	must(s.Logs().Put(ctx, "o", "start", "0", 0, "stdout", strings.NewReader("first try\n")))
	must(s.Attempts().Put(ctx, datastore.Attempt{Run: "o", Step: "start", Task: "0", Attempt: 0, Status: failed, Start: t0, End: t0}))
	must(s.Logs().Put(ctx, "o", "start", "0", 1, "stdout", strings.NewReader("second try\n")))
	must(s.Attempts().Put(ctx, datastore.Attempt{Run: "o", Step: "start", Task: "0", Attempt: 1, Status: ok, Start: t0, End: t0}))
	must(s.Attempts().Put(ctx, datastore.Attempt{Run: "n", Step: "start", Task: "0", Status: ok, Start: t0, End: t0, Origin: "o/start/0"}))
	c, err := client.Open(ctx, root)
	must(err)
	var out, errb bytes.Buffer
	in := &Inspector{Flow: c.Flow("F"), Stdout: &out, Stderr: &errb, RunsCmd: "f runs"}
	must(in.Logs(ctx, pathspecOf(t, "n/start/0"), -1, ""))
	if out.String() != "second try\n" || !strings.Contains(errb.String(), "F/n/start/0 was reused by resume from F/o/start/0") {
		t.Errorf("logs of a reused task: stdout %q, stderr %q", out.String(), errb.String())
	}
}

// logs of a task still running print the output saved so far (its log
// parts), saying so.
func TestLogsOfRunningTask(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "F")
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	if err := s.Runs().Put(ctx, datastore.Run{Flow: "F", ID: "r", Start: t0, Runtime: "local"}); err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"epoch 1\n", "epoch 2\n"} {
		if err := s.Logs().PutPart(ctx, "r", "train", "0", 0, "stdout", i+1, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	in := &Inspector{Flow: c.Flow("F"), Stdout: &out, Stderr: &errb, RunsCmd: "f runs"}
	if err := in.Logs(ctx, pathspecOf(t, "r/train/0"), -1, ""); err != nil {
		t.Fatal(err)
	}
	if out.String() != "epoch 1\nepoch 2\n" || !strings.Contains(errb.String(), "F/r/train/0 is still running") {
		t.Errorf("logs of a running task: stdout %q, stderr %q", out.String(), errb.String())
	}
}

func pathspecOf(t *testing.T, s string) pathspec.Pathspec {
	t.Helper()
	ps, err := pathspec.Parse(s, 3)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// dump shows an artifact over 1 MiB as its summary, named or not, in
// text and JSON alike, unless --full; --full streams it.
func TestDumpLargeArtifact(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "F")
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	big := make([]uint16, 1<<20) // 2 MiB
	for i := range big {
		big[i] = uint16(i)
	}
	enc, err := artifact.Marshal(reflect.ValueOf(big))
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.Blobs().PutParts(ctx, enc.Parts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Runs().Put(ctx, datastore.Run{Flow: "F", ID: "r", Start: t0, Runtime: "local"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "end", Task: "0", Status: datastore.StatusSucceeded, Start: t0, End: t0,
		Artifacts: map[string]datastore.ArtifactRef{"Big": {Hash: h, Encoding: enc.Encoding, Size: enc.Size, Type: "[]uint16"}}}); err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	dump := func(name string, asJSON, full bool) string {
		var out, errb bytes.Buffer
		in := &Inspector{Flow: c.Flow("F"), Stdout: &out, Stderr: &errb, RunsCmd: "f runs"}
		if err := in.Dump(ctx, pathspecOf(t, "r/end/0"), -1, name, asJSON, full, ""); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	for _, name := range []string{"", "Big"} {
		if got := dump(name, false, false); !strings.Contains(got, "array of 1048576 uint16") || !strings.Contains(got, "dump --full") ||
			!strings.Contains(got, "[ 0, 1, 2,") || len(got) > 500 {
			t.Errorf("dump %q: %.300s", name, got)
		}
		if got := dump(name, false, true); len(got) < 1<<20 || !strings.Contains(got, "65535") {
			t.Errorf("dump --full %q printed %d bytes", name, len(got))
		}
	}
	// --json: the summary rule holds; --json --full is the whole value,
	// compact, as the client's JSON gives it.
	wantJSON, err := json.Marshal(big)
	if err != nil {
		t.Fatal(err)
	}
	if got := dump("Big", true, false); len(got) > 1000 || !strings.Contains(got, `"summary": "[]uint16, array of 1048576 uint16, 2.0 MiB"`) ||
		!strings.Contains(got, `"len": 1048576`) {
		t.Errorf("dump --json Big printed %d bytes: %.300s", len(got), got)
	}
	if got := dump("", true, false); len(got) > 1000 || !strings.Contains(got, `"Big": {`) || !json.Valid([]byte(got)) {
		t.Errorf("dump --json printed %d bytes: %.300s", len(got), got)
	}
	if got := dump("Big", true, true); got != string(wantJSON)+"\n" {
		t.Errorf("dump --json --full Big printed %d bytes, want the %d of the value", len(got), len(wantJSON)+1)
	}
	var all struct{ Big []uint16 }
	if got := dump("", true, true); json.Unmarshal([]byte(got), &all) != nil || !slices.Equal(all.Big, big) {
		t.Errorf("dump --json --full printed %d bytes, not the value", len(got))
	}
}
