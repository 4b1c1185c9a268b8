package flowcmd_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

// TestDamageDetected runs a foreach flow, then, one at a time on a fresh
// copy of its datastore, flips a byte of, truncates and deletes every blob
// and every record of the run. Every reader (GetBlob, OpenBlob, the
// record readers) must report the damage and never return other data
// than what was written, and 'verify' must name the damaged object and
// exit 1.
func TestDamageDetected(t *testing.T) {
	ctx := context.Background()
	bin := filepath.Join(binDir, "foreach")
	pristine := filepath.Join(t.TempDir(), "ds")
	if out, err := exec.Command(bin, "run", "--quiet", "--datastore-root", pristine).CombinedOutput(); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	// What was written: every object, by name.
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
		if strings.Contains(rel, "/blobs/") || strings.HasSuffix(rel, ".json") && !strings.HasSuffix(rel, "heartbeat.json") {
			targets = append(targets, rel)
		}
		return nil
	})
	slices.Sort(targets)
	if len(targets) < 10 {
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
	tried, detected, verified := 0, 0, 0
	for _, target := range targets {
		for _, dname := range []string{"flip", "truncate", "delete"} {
			root := filepath.Join(t.TempDir(), "ds")
			if err := os.CopyFS(root, os.DirFS(pristine)); err != nil {
				t.Fatal(err)
			}
			if err := damages[dname](filepath.Join(root, filepath.FromSlash(target))); err != nil {
				t.Fatal(err)
			}
			tried++
			label := dname + " " + target
			b, err := local.New(root, local.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := datastore.NewStore(b, "ForeachFlow")
			if readerDetects(t, ctx, s, target, want[target], label) {
				detected++
			}
			cmd := exec.Command(bin, "verify", "--datastore-root", root)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err = cmd.Run()
			ee, _ := err.(*exec.ExitError)
			switch {
			case ee == nil || ee.ExitCode() != 1:
				t.Errorf("%s: verify: %v, want exit 1\n%s", label, err, out.String())
			case !strings.Contains(out.String(), target) && !strings.Contains(out.String(), path.Dir(path.Dir(target))+"/: "):
				// (A lost attempt record is named by its task.)
				t.Errorf("%s: verify does not name the object\n%s", label, out.String())
			default:
				verified++
			}
		}
	}
	t.Logf("damage: tried %d, detected by readers %d, found by verify %d", tried, detected, verified)
	if detected != tried || verified != tried {
		t.Errorf("%d damages: readers detected %d, verify found %d", tried, detected, verified)
	}
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
		data, err := s.GetBlob(ctx, hash)
		if err == nil {
			t.Errorf("%s: GetBlob returned %d bytes of a damaged blob", label, len(data))
			return false
		}
		if verr := s.VerifyBlob(ctx, hash); !damaged(verr) {
			t.Errorf("%s: OpenBlob read to the end: %v", label, verr)
			return false
		}
		return damaged(err)
	case parts[len(parts)-1] == "attempt.json":
		run, step, task := parts[2], parts[3], parts[4]
		a, err := s.Attempt(ctx, run, step, task, 0)
		if err == nil {
			t.Errorf("%s: Attempt returned %+v", label, a)
			return false
		}
		return damaged(err)
	case parts[len(parts)-1] == "run.json" || parts[len(parts)-1] == "end.json":
		r, end, err := s.Run(ctx, parts[2])
		if err == nil && !(parts[len(parts)-1] == "end.json" && end == nil) {
			t.Errorf("%s: Run returned %+v %+v", label, r, end)
			return false
		}
		// A deleted end record reads as a run without an end: the
		// heartbeat then tells that its runtime is gone (crashed).
		if err == nil {
			hb, herr := s.Heartbeat(ctx, parts[2])
			return herr == nil && !hb.Alive(hbNow())
		}
		return damaged(err)
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
	runs, err := s.Runs(ctx)
	if err != nil || len(runs) != 1 {
		t.Fatal(runs, err)
	}
	a, err := s.LatestAttempt(ctx, runs[0].ID, "measure", "1")
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
	if got, err := s.GetBlob(ctx, hash); err != nil || !strings.Contains(string(got), "BETA") {
		t.Errorf("recomputed blob = %q, %v", got, err)
	}
}
