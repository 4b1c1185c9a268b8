package flowcmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/testproc"
	"github.com/stepflow/stepflow/internal/ui"
)

// TestDamageDetected runs a foreach flow and a flow with a config, then,
// one at a time on a fresh copy of the datastore, flips a byte of,
// truncates and deletes every blob (artifacts, cards, the config) and every
// record of the foreach run, its heartbeat, and deletes its index entry.
// For each:
//   - every reader (Blobs.Get, Blobs.Open, the record readers) reports the
//     damage and never returns other data than what was written;
//   - 'verify' names the damaged object and exits 1;
//   - no view reports it as health: 'stepflow show' and 'stepflow runs',
//     and the UI's JSON (the run, or the damaged artifact or card), say
//     damaged (or crashed, for a lost end record) where they read the
//     object, with the verify --repair line, and never panic;
//   - what verify --repair can mend, it mends: after it and a resume (with
//     the config's file again when the config was lost), verify of the
//     whole datastore exits 0, and a lost index entry is listed again.
func TestDamageDetected(t *testing.T) {
	ctx := context.Background()
	repo, _ := filepath.Abs("../..")
	bins := map[string]string{"ForeachFlow": filepath.Join(binDir, "foreach"), "ParamsFlow": filepath.Join(binDir, "params")}
	stepflow := filepath.Join(binDir, "stepflow")
	pristine := filepath.Join(t.TempDir(), "ds")
	// In-process: the resumes that mend the damage run so too (resume keeps
	// the origin's mode), which keeps this table of 89 runs quick.
	for flowName, args := range map[string][]string{"ForeachFlow": {"run", "--quiet", "--in-process"}, "ParamsFlow": {"run", "--quiet", "--in-process", "--name", "x"}} {
		cmd := exec.Command(bins[flowName], append(args, "--datastore-root", pristine)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("run %s: %v\n%s", flowName, err, out)
		}
	}
	// A task's output as a crashed supervisor leaves it: parts, no final
	// log (the runtime saves parts every few seconds; this run was quick).
	logs, _ := filepath.Glob(filepath.Join(pristine, "ForeachFlow", "runs", "*", "measure", "0", "0", "stdout.log"))
	if len(logs) != 1 {
		t.Fatalf("no stdout.log of measure/0: %v", logs)
	}
	out, err := os.ReadFile(logs[0])
	if err != nil || len(out) < 3 {
		t.Fatalf("stdout.log of measure/0: %q, %v", out, err)
	}
	for i, part := range [][]byte{out[:1], out[1:2], out[2:]} {
		if err := os.WriteFile(filepath.Join(filepath.Dir(logs[0]), fmt.Sprintf("stdout.part-%06d", i+1)), part, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(logs[0]); err != nil {
		t.Fatal(err)
	}
	// What was written: every object, by name; and who names each blob.
	want := map[string][]byte{}
	var targets []string
	filepath.WalkDir(pristine, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(pristine, p)
		rel = filepath.ToSlash(rel)
		data, _ := os.ReadFile(p)
		want[rel] = data
		finishedEntry := strings.Contains(rel, "/attempt-index/") && !strings.Contains(rel, ".running.")
		gapPart := strings.HasSuffix(rel, "/stdout.part-000001") || strings.HasSuffix(rel, "/stdout.part-000002")
		if strings.HasPrefix(rel, "ForeachFlow/") && (strings.Contains(rel, "/blobs/") || strings.HasSuffix(rel, ".json") ||
			strings.Contains(rel, "/index/") || finishedEntry || gapPart) {
			targets = append(targets, rel)
		}
		return nil
	})
	b, err := local.New(pristine, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runOf := map[string]string{}
	for _, flowName := range []string{"ForeachFlow", "ParamsFlow"} {
		runs, err := datastore.NewStore(b, flowName).Runs().List(ctx)
		if err != nil || len(runs) != 1 {
			t.Fatalf("%s: runs %v, %v", flowName, runs, err)
		}
		runOf[flowName] = runs[0].ID
		if flowName == "ParamsFlow" {
			for _, h := range runs[0].Configs {
				targets = append(targets, "ParamsFlow/blobs/"+h[:2]+"/"+h)
			}
		}
	}
	owners := blobOwners(t, ctx, datastore.NewStore(b, "ForeachFlow"), runOf["ForeachFlow"])
	slices.Sort(targets)
	if len(targets) < 20 {
		t.Fatalf("only %d objects to damage: %q", len(targets), targets)
	}
	damages := map[string]func(p string) error{
		"flip": func(p string) error {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)/2] ^= 0x10
			return os.WriteFile(p, b, 0o644)
		},
		"truncate": func(p string) error {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, b[:len(b)*2/3], 0o644)
		},
		"delete": os.Remove,
	}
	// The cases run side by side (two at a time on a small machine): each
	// has its own copy of the datastore.
	// go test -short (outside CI) damages two objects of each kind, each
	// one way only (the way turns from one object to the next).
	oneWay := testproc.Quick()
	var tried, detected, verified, viewed, mended atomic.Int32
	perKind := map[string]int{}
	t.Run("damages", func(t *testing.T) {
		for ti, target := range targets {
			flowName := strings.Split(target, "/")[0]
			run := runOf[flowName]
			ways := []string{"flip", "truncate", "delete"}
			if oneWay {
				kind := damageKind(target, owners)
				if perKind[kind]++; perKind[kind] > 2 {
					continue
				}
				ways = append(ways[ti%3:], ways[:ti%3]...)
			}
			for _, dname := range ways {
				if len(want[target]) == 0 && dname != "delete" {
					continue // an empty object (an index entry) has no byte to flip or cut
				}
				if strings.Contains(target, ".part-") && dname != "delete" {
					continue // logs have no checksum: only a lost part shows (a gap)
				}
				if strings.HasSuffix(target, "/heartbeat.json") && dname == "delete" {
					continue // a run that ended needs no heartbeat: nothing is lost
				}
				t.Run(dname+" "+target, func(t *testing.T) {
					t.Parallel()
					root := filepath.Join(t.TempDir(), "ds")
					if err := os.CopyFS(root, os.DirFS(pristine)); err != nil {
						t.Fatal(err)
					}
					if err := damages[dname](filepath.Join(root, filepath.FromSlash(target))); err != nil {
						t.Fatal(err)
					}
					tried.Add(1)
					label := dname + " " + target
					b, err := local.New(root, local.Options{})
					if err != nil {
						t.Fatal(err)
					}
					s := datastore.NewStore(b, flowName)
					if readerDetects(t, ctx, s, target, want[target], label) {
						detected.Add(1)
					}
					code, out := runIn(t, repo, bins[flowName], "verify", "--datastore-root", root)
					switch {
					case code != 1:
						t.Errorf("%s: verify: exit %d, want 1\n%s", label, code, out)
					case !strings.Contains(out, target) && !strings.Contains(out, path.Dir(path.Dir(target))+"/: "):
						// (A lost attempt record is named by its task.)
						t.Errorf("%s: verify does not name the object\n%s", label, out)
					default:
						verified.Add(1)
					}
					if viewsSayDamaged(t, ctx, stepflow, root, flowName, run, target, dname, owners, label) {
						viewed.Add(1)
					}
					if repairs(t, repo, stepflow, bins[flowName], root, flowName, run, target, label) {
						mended.Add(1)
					}
				})
				if oneWay {
					break
				}
			}
		}
	})
	n := tried.Load()
	t.Logf("damage: tried %d, detected by readers %d, found by verify %d, shown by the views %d, mended by verify --repair and resume %d",
		n, detected.Load(), verified.Load(), viewed.Load(), mended.Load())
	if n == 0 || detected.Load() != n || verified.Load() != n || viewed.Load() != n || mended.Load() != n {
		t.Errorf("%d damages: readers detected %d, verify found %d, views showed %d, repair mended %d", n, detected.Load(), verified.Load(), viewed.Load(), mended.Load())
	}
}

// damageKind names what kind of object target is, for the quick loop's
// sample: a blob by its reader (an artifact, a card, a config), a record
// by its name, an index entry or a log part by its directory.
func damageKind(target string, owners map[string]blobOwner) string {
	base := path.Base(target)
	switch {
	case strings.Contains(target, "/blobs/"):
		if o, ok := owners[base]; ok {
			if o.what == "card" {
				return "card blob"
			}
			return "artifact blob"
		}
		return "other blob"
	case strings.Contains(target, "/attempt-index/"):
		return "attempt index entry"
	case strings.Contains(target, "/index/"):
		return "run index entry"
	case strings.Contains(target, ".part-"):
		return "log part"
	}
	return base
}

// runIn runs a binary in dir and returns its exit code and output.
func runIn(t *testing.T, dir, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

// blobOwner says which task reads a blob, and as what: an artifact's name,
// or "card".
type blobOwner struct{ step, task, what string }

// blobOwners maps every blob the run's records name to its reader.
func blobOwners(t *testing.T, ctx context.Context, s *datastore.Store, run string) map[string]blobOwner {
	t.Helper()
	out := map[string]blobOwner{}
	steps, err := s.Attempts().Steps(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range steps {
		tasks, err := s.Attempts().Tasks(ctx, run, step)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			a, err := s.Attempts().Latest(ctx, run, step, task)
			if err != nil {
				t.Fatal(err)
			}
			for name, ref := range a.Artifacts {
				out[ref.Hash] = blobOwner{step, task, name}
			}
			if a.Card != "" {
				out[a.Card] = blobOwner{step, task, "card"}
			}
		}
	}
	return out
}

// viewsSayDamaged checks what 'stepflow show', 'stepflow runs' and the
// UI's JSON say of a damaged datastore: where they read the damaged
// object, they say damaged (or crashed, for a lost end record) and give
// the verify --repair line; they never panic nor call it healthy.
func viewsSayDamaged(t *testing.T, ctx context.Context, stepflow, root, flowName, run, target, dname string, owners map[string]blobOwner, label string) bool {
	t.Helper()
	const repairLine = "verify --repair"
	showCode, show := runIn(t, root, stepflow, "show", "--datastore-root", root, flowName+"/"+run)
	runsCode, runs := runIn(t, root, stepflow, "runs", "--datastore-root", root, flowName)
	for _, out := range []string{show, runs} {
		if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
			t.Errorf("%s: a view panicked\n%s", label, out)
			return false
		}
	}
	c, err := client.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ui.New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	api := func(p string) (int, string) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1"+p, nil))
		return rec.Code, rec.Body.String()
	}
	runAPI := "/api/flows/" + flowName + "/runs/" + run
	base := path.Base(target)
	fail := func(format string, args ...any) bool {
		t.Errorf("%s: "+format, append([]any{label}, args...)...)
		return false
	}
	switch {
	case base == "run.json" || base == "end.json" && dname != "delete":
		// The run's own records: show fails naming the damage, runs
		// lists it damaged, the UI answers 422 (404: no run record).
		if showCode == 0 || dname != "delete" && !strings.Contains(show, repairLine) {
			return fail("show: exit %d\n%s", showCode, show)
		}
		if runsCode != 0 || !strings.Contains(runs, "run "+run+" is damaged") || !strings.Contains(runs, repairLine) {
			return fail("runs: exit %d\n%s", runsCode, runs)
		}
		if code, body := api(runAPI); code != 422 && !(code == 404 && dname == "delete") || code == 422 && !strings.Contains(body, repairLine) {
			return fail("run JSON: %d\n%s", code, body)
		}
	case base == "end.json":
		// A lost end record: the runtime is gone, the run crashed.
		if showCode != 0 || !strings.Contains(show, "Status:    crashed") || !strings.Contains(runs, run+"  crashed") {
			return fail("show or runs do not say crashed\n%s\n%s", show, runs)
		}
		if code, body := api(runAPI); code != 200 || !strings.Contains(body, `"status":"crashed"`) {
			return fail("run JSON: %d\n%s", code, body)
		}
	case base == "attempt.json":
		task := path.Dir(path.Dir(target))
		ps := strings.TrimPrefix(task, flowName+"/runs/")
		if showCode != 1 || !strings.Contains(show, "damaged: "+flowName+"/"+ps) || !strings.Contains(show, repairLine) {
			return fail("show: exit %d\n%s", showCode, show)
		}
		code, body := api(runAPI)
		var v struct {
			Steps []struct {
				Name    string
				Status  string
				Damaged int
			}
			Repair string
		}
		if code != 200 || json.Unmarshal([]byte(body), &v) != nil || !strings.Contains(v.Repair, repairLine) {
			return fail("run JSON: %d\n%s", code, body)
		}
		step := strings.Split(ps, "/")[1]
		for _, st := range v.Steps {
			if st.Name == step && (st.Status != "damaged" || st.Damaged != 1) {
				return fail("run JSON: step %s is %s with %d damaged", step, st.Status, st.Damaged)
			}
		}
	case strings.Contains(target, "/blobs/"):
		o, ok := owners[path.Base(target)]
		if !ok {
			// A config: no view reads it; verify does, and resume.
			if showCode != 0 || runsCode != 0 {
				return fail("show %d, runs %d on a damaged config blob\n%s%s", showCode, runsCode, show, runs)
			}
			return true
		}
		p := "/api/flows/" + flowName + "/runs/" + run + "/steps/" + o.step + "/tasks/" + o.task
		if o.what == "card" {
			p += "/card"
		} else {
			p += "/artifacts/" + o.what
		}
		if code, body := api(p); code != 422 || !strings.Contains(body, "damaged") || !strings.Contains(body, repairLine) {
			return fail("GET %s: %d, want 422 naming the damage\n%s", p, code, body)
		}
	case base == "heartbeat.json":
		// The run ended: its status is its end record's.
		if code, body := api(runAPI); code != 200 || !strings.Contains(body, `"status":"succeeded"`) {
			return fail("run JSON: %d\n%s", code, body)
		}
	case strings.Contains(target, "/attempt-index/"):
		// The records are whole (show reads them: succeeded); the
		// run's view, drawn from the index, must not count the attempt
		// as done.
		step, _, _ := strings.Cut(base, ".")
		if showCode != 0 {
			return fail("show: exit %d\n%s", showCode, show)
		}
		code, body := api(runAPI)
		var v struct {
			Steps []struct {
				Name        string
				Status      string
				Done, Total int
			}
		}
		if code != 200 || json.Unmarshal([]byte(body), &v) != nil {
			return fail("run JSON: %d\n%s", code, body)
		}
		for _, st := range v.Steps {
			if st.Name == step && st.Status == "succeeded" && st.Done == st.Total {
				return fail("run JSON: step %s reads %s, %d/%d done", step, st.Status, st.Done, st.Total)
			}
		}
	case strings.Contains(target, ".part-"):
		// No view claims the lost output: the log reads up to the gap.
		if code, body := api(runAPI + "/steps/measure/tasks/0/logs/stdout"); code != 200 || len(body) > 200 {
			return fail("log JSON: %d\n%s", code, body)
		}
	case strings.Contains(target, "/index/"):
		// The index lost the run: runs does not list it (verify finds
		// it, --repair restores it: see repairs); its own URL still works.
		if code, body := api(runAPI); code != 200 {
			return fail("run JSON: %d\n%s", code, body)
		}
	default:
		return fail("no view check for %s", target)
	}
	return true
}

// repairs runs verify --repair and, when the damage is one a resume
// recomputes, a resume of the run (with the config's file again when the
// config was lost); then verify of every flow must exit 0. A damaged run
// or end record cannot be mended: verify --repair must say so and exit 1.
func repairs(t *testing.T, repo, stepflow, bin, root, flowName, run, target, label string) bool {
	t.Helper()
	base := path.Base(target)
	code, out := runIn(t, repo, stepflow, "verify", "--repair", "--datastore-root", root)
	if base == "run.json" || base == "end.json" || strings.Contains(base, ".part-") {
		if code != 1 {
			t.Errorf("%s: verify --repair of a run record or lost output: exit %d, want 1\n%s", label, code, out)
			return false
		}
		return true
	}
	resume := strings.Contains(target, "/blobs/") || base == "attempt.json"
	// What is missing stays missing until a resume recomputes it.
	if code != 0 && !(resume && code == 1 && !strings.Contains(out, "damaged ")) {
		t.Errorf("%s: verify --repair: exit %d\n%s", label, code, out)
		return false
	}
	if resume {
		args := []string{"resume", "--origin-run-id", run, "--datastore-root", root}
		if flowName == "ParamsFlow" {
			// The config's blob is gone: resume refuses without its file.
			if code, out := runIn(t, repo, bin, args...); code != 2 || !strings.Contains(out, "config settings of run "+run+" is lost") {
				t.Errorf("%s: resume without the config's file: exit %d, want 2\n%s", label, code, out)
				return false
			}
			args = append(args, "--config", "settings=examples/params/settings.toml")
		}
		if code, out := runIn(t, repo, bin, args...); code != 0 {
			t.Errorf("%s: resume: exit %d\n%s", label, code, out)
			return false
		}
	}
	// The resumed run is whole. A removed attempt record stays missing
	// in the origin (a record is not rewritten; its task was recomputed
	// in the new run): verify of the origin still names it, so only the
	// new run is checked then; removed blobs are recomputed under their
	// names, so the whole datastore verifies.
	which := []string{"verify", "--datastore-root", root}
	if base == "attempt.json" {
		which = append(which, flowName+"/latest")
	}
	if code, out := runIn(t, repo, stepflow, which...); code != 0 {
		t.Errorf("%s: %s after repair: exit %d, want 0\n%s", label, strings.Join(which[:1], " "), code, out)
		return false
	}
	if strings.Contains(target, "/index/") {
		if code, out := runIn(t, repo, stepflow, "runs", "--datastore-root", root, flowName); code != 0 || !strings.Contains(out, run) {
			t.Errorf("%s: runs after repair does not list the run: exit %d\n%s", label, code, out)
			return false
		}
	}
	return true
}

// readerDetects reads the damaged object the way Stepflow does and
// reports whether the damage was reported (an error wrapping ErrCorrupt
// or ErrNotFound), failing the test if a reader returned other data.
func readerDetects(t *testing.T, ctx context.Context, s *datastore.Store, key string, orig []byte, label string) bool {
	t.Helper()
	damaged := func(err error) bool {
		return errors.Is(err, datastore.ErrCorrupt) || errors.Is(err, datastore.ErrNotFound)
	}
	parts := strings.Split(key, "/")
	switch {
	case parts[1] == "blobs":
		hash := parts[3]
		data, err := s.Blobs().Get(ctx, hash)
		if err == nil {
			t.Errorf("%s: Blobs.Get returned %d bytes of a damaged blob", label, len(data))
			return false
		}
		if verr := s.Blobs().Verify(ctx, hash); !damaged(verr) {
			t.Errorf("%s: Blobs.Open read to the end: %v", label, verr)
			return false
		}
		return damaged(err)
	case parts[len(parts)-1] == "attempt.json":
		run, step, task := parts[2], parts[3], parts[4]
		a, err := s.Attempts().Get(ctx, run, step, task, 0)
		if err == nil {
			t.Errorf("%s: Attempt returned %+v", label, a)
			return false
		}
		return damaged(err)
	case parts[len(parts)-1] == "run.json" || parts[len(parts)-1] == "end.json":
		r, end, err := s.Runs().Get(ctx, parts[2])
		if err == nil && !(parts[len(parts)-1] == "end.json" && end == nil) {
			t.Errorf("%s: Run returned %+v %+v", label, r, end)
			return false
		}
		// A deleted end record reads as a run without an end: the
		// heartbeat then tells that its runtime is gone (crashed).
		if err == nil {
			hb, herr := s.Leases().Heartbeat(ctx, parts[2])
			return herr == nil && !hb.Alive(hbNow())
		}
		return damaged(err)
	case parts[len(parts)-1] == "heartbeat.json":
		hb, err := s.Leases().Heartbeat(ctx, parts[2])
		if err == nil {
			t.Errorf("%s: Heartbeat returned %+v", label, hb)
			return false
		}
		return damaged(err)
	case parts[len(parts)-2] == "attempt-index":
		// The run's view misses the attempt; its record is whole.
		es, err := s.Attempts().Index(ctx, parts[2])
		if err != nil {
			t.Errorf("%s: AttemptIndex: %v", label, err)
			return false
		}
		return !slices.ContainsFunc(es, func(e datastore.IndexEntry) bool {
			return strings.HasPrefix(parts[len(parts)-1], e.Step+"."+e.Task+"."+fmt.Sprint(e.Attempt)+"."+e.Status)
		})
	case strings.Contains(parts[len(parts)-1], ".part-"):
		// Log reads the parts up to the gap: never bytes that followed it.
		rc, err := s.Logs().Open(ctx, parts[2], parts[3], parts[4], 0, "stdout")
		if err != nil {
			return damaged(err)
		}
		defer rc.Close()
		got, err := io.ReadAll(rc)
		return err == nil && len(got) < 3
	case parts[1] == "index":
		// The run's index entry: the listing misses the run; the run
		// folders (what verify lists) do not.
		runs, err := s.Runs().List(ctx)
		if err != nil || slices.ContainsFunc(runs, func(r datastore.Run) bool { return r.ID == parts[2] }) {
			t.Errorf("%s: Runs = %v, %v", label, runs, err)
			return false
		}
		dirs, err := s.Runs().StoredIDs(ctx)
		return err == nil && slices.Contains(dirs, parts[2])
	}
	t.Errorf("%s: no reader for %s", label, key)
	return false
}

func hbNow() time.Time { return time.Now() }

// TestVerifyRepairThenResume: a blob damaged in place is found by verify,
// removed by verify --repair, and recomputed by resume (which runs the
// tasks that made it instead of reusing them); afterwards every run
// verifies clean and the resumed run's artifacts are whole.
func TestVerifyRepairThenResume(t *testing.T) {
	ctx := context.Background()
	bin := filepath.Join(binDir, "foreach")
	root := filepath.Join(t.TempDir(), "ds")
	cli := func(args ...string) (int, string) {
		cmd := exec.Command(bin, append(args, "--datastore-root", root)...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := cli("run", "--quiet"); code != 0 {
		t.Fatalf("run: %d\n%s", code, out)
	}
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "ForeachFlow")
	runs, err := s.Runs().List(ctx)
	if err != nil || len(runs) != 1 {
		t.Fatal(runs, err)
	}
	a, err := s.Attempts().Latest(ctx, runs[0].ID, "measure", "1")
	if err != nil {
		t.Fatal(err)
	}
	hash := a.Artifacts["Upper"].Hash
	p := filepath.Join(root, "ForeachFlow", "blobs", hash[:2], hash)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0x20
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := cli("verify"); code != 1 || !strings.Contains(out, hash) {
		t.Fatalf("verify: exit %d, want 1 naming blob %s\n%s", code, hash, out)
	}
	if code, out := cli("verify", "--repair"); code != 0 || !strings.Contains(out, "removed") {
		t.Fatalf("verify --repair: exit %d\n%s", code, out)
	}
	if code, out := cli("resume", "--origin-run-id", runs[0].ID); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	if code, out := cli("verify"); code != 0 {
		t.Fatalf("verify after resume: exit %d\n%s", code, out)
	}
	if got, err := s.Blobs().Get(ctx, hash); err != nil || !strings.Contains(string(got), "BETA") {
		t.Errorf("recomputed blob = %q, %v", got, err)
	}
}
