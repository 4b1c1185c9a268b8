package flowcmd_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/flowcmd"
)

// seedInspect writes two runs of HelloFlow: r1 succeeded (train/0 failed
// once, then succeeded) and r2, newer, still running.
func seedInspect(t *testing.T, root string) {
	t.Helper()
	ctx := context.Background()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "HelloFlow")
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	put := func(run, step string, attempt int, status string, arts map[string]any, stdout, stderr string) {
		a := datastore.Attempt{Run: run, Step: step, Task: "0", Attempt: attempt, Status: status,
			Start: t0, End: t0.Add(time.Second), Artifacts: map[string]datastore.ArtifactRef{}}
		for name, v := range arts {
			data, enc, err := artifact.Encode(reflect.ValueOf(v))
			must(err)
			h, err := s.Blobs().Put(ctx, data)
			must(err)
			a.Artifacts[name] = datastore.ArtifactRef{Hash: h, Encoding: enc, Size: int64(len(data)), Type: reflect.TypeOf(v).String()}
		}
		must(s.Logs().Put(ctx, run, step, "0", attempt, "stdout", strings.NewReader(stdout)))
		must(s.Logs().Put(ctx, run, step, "0", attempt, "stderr", strings.NewReader(stderr)))
		must(s.Attempts().Put(ctx, a))
	}
	must(s.Runs().Put(ctx, datastore.Run{ID: "r1", Start: t0, Runtime: "local"}))
	put("r1", "start", 0, "succeeded", map[string]any{"Shards": []string{"eu", "us"}}, "hello\n", "")
	put("r1", "train", 0, "failed", nil, "try 0\n", "boom\n")
	put("r1", "train", 1, "succeeded", map[string]any{"Score": 0.5, "Shards": []string{"eu", "us"}}, "try 1\n", "warn 1\n")
	must(s.Runs().PutEnd(ctx, "r1", datastore.RunEnd{Status: "succeeded", End: t0.Add(90 * time.Second)}))
	must(s.Runs().Put(ctx, datastore.Run{ID: "r2", Start: t0.Add(time.Hour), Runtime: "local"}))
	put("r2", "start", 0, "succeeded", map[string]any{"Shards": []string{"x"}}, "", "")
}

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(root string, args ...string) result {
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "STEPFLOW_DATASTORE_ROOT" {
			return root
		}
		return ""
	}
	code := flowcmd.Run(context.Background(), &flow.Flow{Name: "HelloFlow"}, args, &out, &errb, getenv)
	return result{code, out.String(), errb.String()}
}

func TestInspectCommands(t *testing.T) {
	t.Setenv("TZ", "UTC")
	root := t.TempDir()
	seedInspect(t, root)

	for _, tc := range []struct {
		args           []string
		stdout, stderr string // expected exactly, unless prefixed by "~" (contains)
	}{
		{[]string{"runs"}, "RUN  STATUS     START                DURATION  TAGS  STARTED BY\n" +
			"r2   running    2026-01-02 11:00:00  -         -     -\n" +
			"r1   succeeded  2026-01-02 10:00:00  1m30s     -     -\n", ""},
		{[]string{"runs", "--status", "succeeded"}, "RUN  STATUS     START                DURATION  TAGS  STARTED BY\n" +
			"r1   succeeded  2026-01-02 10:00:00  1m30s     -     -\n", ""},
		{[]string{"runs", "--tag", "nope"}, "", "no runs of HelloFlow with --tag nope (of 2 runs)\n"},
		{[]string{"runs", "--json"}, `~"duration_seconds": 90`, ""},
		{[]string{"dump", "r1/train/0"}, "Score: 0.5\nShards: [\n  \"eu\",\n  \"us\"\n]\n", ""},
		{[]string{"dump", "r1/train/0", "Score", "--json"}, "0.5\n", ""},
		{[]string{"dump", "--attempt", "0", "r1/train/0"}, "", "~note: attempt 0 of HelloFlow/r1/train/0 failed"},
		{[]string{"dump", "latest/start/0", "--json"}, "{\n  \"Shards\": [\n    \"x\"\n  ]\n}\n", ""},
		{[]string{"logs", "r1/train/0"}, "try 1\n", "warn 1\n"},
		{[]string{"logs", "r1/train/0", "--attempt", "0", "--stream", "stderr"}, "", "boom\n"},
	} {
		got := runCLI(root, tc.args...)
		if got.code != 0 || !match(got.stdout, tc.stdout) || !match(got.stderr, tc.stderr) {
			t.Errorf("%q: exit %d\nstdout:\n%s\nstderr:\n%s\nwant stdout:\n%s\nwant stderr:\n%s",
				tc.args, got.code, got.stdout, got.stderr, tc.stdout, tc.stderr)
		}
	}
}

func match(got, want string) bool {
	if w, ok := strings.CutPrefix(want, "~"); ok {
		return strings.Contains(got, w)
	}
	return got == want
}

func TestInspectBadInput(t *testing.T) {
	root := t.TempDir()
	seedInspect(t, root)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dump", "nope/train/0"}, `flow HelloFlow has no run "nope" in datastore ` + root + `; list the runs with 'helloflow runs'`},
		{[]string{"dump", "r1/train"}, `pathspec "r1/train" is malformed; write RUN/STEP/TASK`},
		{[]string{"logs", "r1/trian/0"}, `run HelloFlow/r1 has no step "trian" (its steps: start, train)`},
		{[]string{"logs", "r1/train/3"}, `step HelloFlow/r1/train has no task "3" (its tasks: 0)`},
		{[]string{"dump", "r1/train/0", "Nope"}, `has no artifact "Nope" (its artifacts: Score, Shards)`},
		{[]string{"logs", "r1/train/0", "--attempt", "2"}, `no finished attempt 2; its latest finished attempt is 1`},
		{[]string{"dump", "r1/train/0", "a", "b"}, `dump takes RUN/STEP/TASK and an optional ARTIFACT, got 3 arguments`},
		{[]string{"runs", "x"}, `runs takes no arguments`},
		{[]string{"dump", "--datastore-root", filepath.Join(root, "none"), "r1/train/0"}, `does not exist`},
	} {
		got := runCLI(root, tc.args...)
		if got.code != command.ExitUsage || !strings.Contains(got.stderr, tc.want) || strings.Count(got.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, got.code, got.stderr, tc.want)
		}
	}

	// No datastore yet: runs says so and succeeds.
	got := runCLI(filepath.Join(root, "none"), "runs")
	if got.code != 0 || got.stdout != "" || !strings.Contains(got.stderr, "no runs of HelloFlow") {
		t.Errorf("runs with no datastore: %+v", got)
	}
	if got := runCLI(filepath.Join(root, "none"), "runs", "--json"); got.code != 0 || got.stdout != "[]\n" {
		t.Errorf("runs --json with no datastore: %+v", got)
	}
}

// TestDamagedRunDoesNotHideOthers: with one run's record damaged, runs
// lists the others and says which record is damaged and why; commands
// naming a healthy run (and latest) work; the damaged run's own commands
// fail naming the record.
func TestDamagedRunDoesNotHideOthers(t *testing.T) {
	root := t.TempDir()
	seedInspect(t, root)
	// r3, newest, with a damaged record.
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "HelloFlow")
	if err := s.Runs().Put(context.Background(), datastore.Run{ID: "r3", Start: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), Runtime: "local"}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "HelloFlow", "runs", "r3", "run.json")
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, bytes.Replace(data, []byte("local"), []byte("lokal"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	got := runCLI(root, "runs")
	if got.code != 0 || !strings.Contains(got.stdout, "r1   succeeded") || !strings.Contains(got.stdout, "r3   damaged") ||
		!strings.Contains(got.stderr, "run r3 is damaged: get HelloFlow/runs/r3/run.json") || !strings.Contains(got.stderr, "checksum") {
		t.Errorf("runs: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if got := runCLI(root, "dump", "latest/start/0", "--json"); got.code != 0 || !strings.Contains(got.stdout, `"x"`) {
		t.Errorf("dump latest (r2, the newest readable run): exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if got := runCLI(root, "dump", "r1/train/0", "Score"); got.code != 0 {
		t.Errorf("dump r1: exit %d\n%s", got.code, got.stderr)
	}
	if got := runCLI(root, "dump", "r3/start/0"); got.code != 1 || !strings.Contains(got.stderr, "HelloFlow/runs/r3/run.json") {
		t.Errorf("dump of the damaged run: exit %d\n%s", got.code, got.stderr)
	}
}
