package datastore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

func blobPath(dir, hash string) string {
	return filepath.Join(dir, "Flow", "blobs", hash[:2], hash)
}

// TestPutBlobRepairs: a damaged blob (truncated, emptied, bit-flipped in a
// small blob, flipped in a large one that a reader reported) is rewritten
// by the next Blobs.Put of the same content instead of being trusted.
func TestPutBlobRepairs(t *testing.T) {
	ctx := context.Background()
	small := []byte(`{"model":"small","score":0.5}`)
	large := bytes.Repeat([]byte("stepflow,1.25,ok\n"), 40000) // s2, > verifyAlwaysBelow
	random := make([]byte, 300<<10)
	fillPayload(random, 1) // raw, > verifyAlwaysBelow
	damages := map[string]func(b []byte) []byte{
		"truncate": func(b []byte) []byte { return b[:len(b)/2] },
		"empty":    func(b []byte) []byte { return nil },
		"flip":     func(b []byte) []byte { b[len(b)-1] ^= 0x40; return b },
		"header":   func(b []byte) []byte { b[9] ^= 1; return b },
	}
	for name, data := range map[string][]byte{"small": small, "large": large, "random": random} {
		for dname, damage := range damages {
			s, dir := newStore(t)
			h, err := s.Blobs().Put(ctx, data)
			if err != nil {
				t.Fatal(err)
			}
			p := blobPath(dir, h)
			stored, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, damage(stored), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Blobs().Get(ctx, h); !errors.Is(err, datastore.ErrCorrupt) {
				t.Fatalf("%s/%s: Blobs.Get of the damaged blob = %v, want ErrCorrupt", name, dname, err)
			}
			if _, err := s.Blobs().Put(ctx, data); err != nil {
				t.Fatal(err)
			}
			got, err := s.Blobs().Get(ctx, h)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s/%s: after Blobs.Put the blob is still damaged: %v", name, dname, err)
			}
		}
	}
}

// TestPutBlobRepairsWithoutReport: a fresh Store (another process) that
// never read the blob still replaces a truncated large blob or a blob
// whose header lies about its length, from size and header alone.
func TestPutBlobRepairsWithoutReport(t *testing.T) {
	ctx := context.Background()
	data := make([]byte, 300<<10)
	fillPayload(data, 1)
	s, dir := newStore(t)
	h, err := s.Blobs().Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	p := blobPath(dir, h)
	stored, _ := os.ReadFile(p)
	if err := os.WriteFile(p, stored[:len(stored)-100], 0o644); err != nil {
		t.Fatal(err)
	}
	s2 := datastore.NewStore(s.Backend(), "Flow")
	if _, err := s2.Blobs().Put(ctx, data); err != nil {
		t.Fatal(err)
	}
	if err := s2.Blobs().Verify(ctx, h); err != nil {
		t.Errorf("truncated blob not rewritten: %v", err)
	}
}

// TestRecordChecksum: a record whose content does not match its checksum
// (one changed digit, a changed status, a cut end) reads as damaged, never
// as a different status or width; a record without a checksum too.
func TestRecordChecksum(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	a := datastore.Attempt{Run: "r", Step: "s", Task: "0", Status: "succeeded", ForeachWidth: 12, Start: time.Unix(1, 0).UTC()}
	if err := s.Attempts().Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "Flow", "runs", "r", "s", "0", "0", "attempt.json")
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(good, []byte(`"sha256": "`)) {
		t.Fatalf("record has no checksum:\n%s", good)
	}
	got, err := s.Attempts().Get(ctx, "r", "s", "0", 0)
	if err != nil || got.ForeachWidth != 12 || got.Status != "succeeded" {
		t.Fatalf("Attempt = %+v, %v", got, err)
	}
	for name, edit := range map[string]func(string) string{
		"width":    func(s string) string { return strings.Replace(s, `"foreach_width": 12`, `"foreach_width": 13`, 1) },
		"status":   func(s string) string { return strings.Replace(s, `"succeeded"`, `"failed"`, 1) },
		"cut":      func(s string) string { return s[:len(s)-10] },
		"nosum":    func(s string) string { return s[:strings.Index(s, `,`+"\n"+`  "sha256"`)] + "\n}\n" },
		"empty":    func(s string) string { return "" },
		"garbage":  func(s string) string { return "\x00\x01" + s[2:] },
		"extrakey": func(s string) string { return strings.Replace(s, `"run"`, `"rum"`, 1) },
	} {
		if err := os.WriteFile(p, []byte(edit(string(good))), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := s.Attempts().Get(ctx, "r", "s", "0", 0)
		if !errors.Is(err, datastore.ErrCorrupt) {
			t.Errorf("%s: Attempt = %+v, %v; want ErrCorrupt", name, got, err)
		}
	}
}

// TestListRunsDamaged: one run whose record is damaged does not hide the
// others; Runs.ListWithDamage names it and why, Runs.List leaves it out,
// Runs.Get of a healthy run works.
func TestListRunsDamaged(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	for i, id := range []string{"r1", "r2", "r3"} {
		if err := s.Runs().Put(ctx, datastore.Run{ID: id, Start: time.Unix(int64(i), 0).UTC(), Runtime: "local"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Flow", "runs", "r2", "run.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs, damaged, err := s.Runs().ListWithDamage(ctx)
	if err != nil {
		t.Fatalf("Runs.ListWithDamage: %v", err)
	}
	if len(runs) != 2 || runs[0].ID != "r3" || runs[1].ID != "r1" {
		t.Errorf("runs = %+v, want r3, r1", runs)
	}
	if len(damaged) != 1 || damaged[0].ID != "r2" || !errors.Is(damaged[0].Err, datastore.ErrCorrupt) ||
		!strings.Contains(damaged[0].Err.Error(), "Flow/runs/r2/run.json") {
		t.Errorf("damaged = %+v, want r2 naming its record", damaged)
	}
	if runs, err := s.Runs().List(ctx); err != nil || len(runs) != 2 {
		t.Errorf("Runs = %d runs, %v", len(runs), err)
	}
	if _, _, err := s.Runs().Get(ctx, "r1"); err != nil {
		t.Errorf("Run(r1): %v", err)
	}
}

// TestClaimResume: a live claim makes every later claimant refuse,
// whatever the order of their names; a released claim, or one whose
// holder is gone, does not.
func TestClaimResume(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if err := s.Runs().Put(ctx, datastore.Run{ID: "origin", Start: time.Now().UTC(), Runtime: "local"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Runs().PutEnd(ctx, "origin", datastore.RunEnd{Status: "failed", End: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	releaseB, err := s.Leases().ClaimResume(ctx, "origin", datastore.NewLease("b-run"))
	if err != nil {
		t.Fatalf("first claim: %v", err)
	}
	if _, err := s.Leases().ClaimResume(ctx, "origin", datastore.NewLease("a-run")); !errors.Is(err, datastore.ErrBusy) || !strings.Contains(err.Error(), "b-run") {
		t.Fatalf("second claim (sorting first): %v, want ErrBusy naming b-run", err)
	}
	releaseB()
	releaseA, err := s.Leases().ClaimResume(ctx, "origin", datastore.NewLease("a-run"))
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	releaseA()
	// A holder that is gone (a stale beat on another host) holds nothing.
	stale := datastore.NewLease("c-run")
	stale.Host, stale.Beat = "elsewhere", time.Now().Add(-2*datastore.HeartbeatExpiry)
	if _, err := s.Leases().ClaimResume(ctx, "origin", stale); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Leases().ClaimResume(ctx, "origin", datastore.NewLease("d-run")); err != nil {
		t.Errorf("claim beside a dead one: %v", err)
	}
}

// TestVerifyAcceptsLogParts: the parts of a log saved while an attempt
// ran are not damage, in a run that succeeded or one still running; an
// attempt with parts and no record in a run that succeeded lost its
// record.
func TestVerifyAcceptsLogParts(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	start := time.Now()
	if err := s.Runs().Put(ctx, datastore.Run{Flow: "Flow", ID: "r", Start: start, Runtime: "local"}); err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"one\n", "two\n"} {
		if err := s.Logs().PutPart(ctx, "r", "start", "0", 0, "stdout", i+1, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Logs().PutPart(ctx, "r", "lost", "0", 0, "stderr", 1, strings.NewReader("x\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.Logs().Put(ctx, "r", "start", "0", 0, "stdout", strings.NewReader("one\ntwo\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.Attempts().Put(ctx, datastore.Attempt{Run: "r", Step: "start", Task: "0", Status: datastore.StatusSucceeded, Start: start, End: start}); err != nil {
		t.Fatal(err)
	}
	v, err := s.VerifyRun(ctx, "r", nil)
	if err != nil || len(v.Damage) != 0 {
		t.Fatalf("VerifyRun of a running run with log parts = %v, %v; want no damage", v.Damage, err)
	}
	if err := s.Runs().PutEnd(ctx, "r", datastore.RunEnd{Status: datastore.StatusSucceeded, End: start}); err != nil {
		t.Fatal(err)
	}
	v, err = s.VerifyRun(ctx, "r", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Damage) != 1 || v.Damage[0].Key != "Flow/runs/r/lost/0/0/attempt.json" || v.Damage[0].Kind != datastore.MissingRecord {
		t.Errorf("VerifyRun of a succeeded run = %v; want only the missing record of lost/0", v.Damage)
	}
}
