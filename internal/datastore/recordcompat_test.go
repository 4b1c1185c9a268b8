package datastore

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The records in testdata/records were written by encodeRecord as Stepflow
// wrote them before it encoded attempts with encoding/json (with a
// hand-written encoder and decoder (attemptenc.go and attemptdec.go),
// removed since). They stand for the records already in users'
// datastores and must never be regenerated.

// compatRecords returns the value each committed record was written from,
// by file name: attempts with every field and the characters JSON escapes,
// a run and its end.
func compatRecords() map[string]any {
	paris := time.FixedZone("CET", 3600)
	start := time.Date(2026, 12, 7, 12, 45, 22, 27318557, time.UTC)
	return map[string]any{
		"attempt-full.json": &Attempt{Run: "20261207-124522-a84ad6", Step: "measure", Task: "3", Attempt: 2,
			Status: StatusSucceeded, Start: start, End: start.Add(1500 * time.Microsecond).In(paris), ExitCode: 0,
			Artifacts: map[string]ArtifactRef{
				"Words": {Hash: strings.Repeat("9a", 32), Encoding: "binary", Size: 48, Type: "[]string"},
				"Ünï":   {Hash: strings.Repeat("0c", 32), Encoding: "json", Size: 1 << 40, Type: "map[string]any"},
			},
			Inputs:  []string{"20261207-124522-a84ad6/start/0"},
			Indices: []int{3, 0, -1}, ForeachWidth: 12, SwitchTarget: "b<&>", Origin: "20261206-000000-000000/measure/3",
			Caught: "step failed: \"quoted\" \\ and\ttab\nnewline", Env: map[string]string{"AWS_BATCH_JOB_ID": "j-1", "Z": "\u2028\u2029"},
			Card: strings.Repeat("ab", 32)},
		"attempt-failed.json": &Attempt{Run: "r", Step: "end", Task: "0", Status: StatusFailed, Start: start,
			End: start.Add(time.Second), ExitCode: 1, Error: "panic: <nil> & \x00\x1f\x7f 😀"},
		// Invalid UTF-8 is written as \ufffd, read back as U+FFFD (see
		// TestReadCompatRecords).
		"attempt-invalid-utf8.json": &Attempt{Run: "r", Step: "end", Task: "0", Status: StatusFailed, Error: "bad \xff\xfe byte"},
		"attempt-empty.json":        &Attempt{},
		"run.json": &Run{Flow: "ForeachFlow", ID: "20261207-124522-a84ad6", Start: start.In(paris),
			Params: map[string]string{"alpha": "0.5", "name": "ada"}, Configs: map[string]string{"settings": strings.Repeat("cd", 32)},
			User: "ada", Tags: []string{"example", "foreach"}, Runtime: "local",
			Graph:   json.RawMessage(`{"steps":[{"name":"start","next":["end"]},{"name":"end"}]}`),
			Options: &RunOptions{MaxWorkers: 4, InProcess: true}, Trigger: map[string]string{"type": "user", "user": "ada"},
			AttemptIndex: 1},
		"end.json": &RunEnd{Status: StatusFailed, End: start.Add(time.Minute), Error: "step measure failed"},
	}
}

// TestWriteCompatRecords writes testdata/records when
// STEPFLOW_WRITE_COMPAT_RECORDS is set; it was run once, by the binaries
// of before encoding/json.
func TestWriteCompatRecords(t *testing.T) {
	if os.Getenv("STEPFLOW_WRITE_COMPAT_RECORDS") == "" {
		t.Skip("testdata/records stands for records of earlier binaries; never regenerated")
	}
	dir := filepath.Join("testdata", "records")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, v := range compatRecords() {
		data, err := encodeRecord(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadCompatRecords checks that every record of testdata/records (and
// of testdata/attempts, written by older binaries still) passes its
// checksum, decodes to the value it was written from, and is written again
// byte for byte; and that a changed byte fails the checksum.
func TestReadCompatRecords(t *testing.T) {
	want := compatRecords()
	files, err := filepath.Glob(filepath.Join("testdata", "records", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Fatalf("testdata/records has %d records, want %d (one per compatRecords entry)", len(files), len(want))
	}
	attempts, err := filepath.Glob(filepath.Join("testdata", "attempts", "*.json"))
	if err != nil || len(attempts) == 0 {
		t.Fatalf("no records in testdata/attempts: %v", err)
	}
	for _, f := range append(files, attempts...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w any = &Attempt{} // testdata/attempts: compared with json.Unmarshal's reading
		if filepath.Base(filepath.Dir(f)) == "records" {
			var ok bool
			if w, ok = want[filepath.Base(f)]; !ok {
				t.Fatalf("%s: not one of compatRecords", f)
			}
		} else if err := json.Unmarshal(data, w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got := reflect.New(reflect.TypeOf(w).Elem()).Interface()
		if err := decodeRecord(data, got); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if filepath.Base(f) == "attempt-invalid-utf8.json" {
			// JSON holds no invalid UTF-8: each bad byte became U+FFFD,
			// written as \ufffd then, and as itself when written again.
			if e, want := got.(*Attempt).Error, strings.ToValidUTF8(w.(*Attempt).Error, "\ufffd\ufffd"); e != want {
				t.Errorf("%s: error %q, want %q", f, e, want)
			}
			continue
		}
		if !sameJSON(t, got, w) {
			t.Errorf("%s decodes to\n%#v\nwant\n%#v", f, got, w)
		}
		again, err := encodeRecord(got)
		if err != nil || !bytes.Equal(again, data) {
			t.Errorf("%s: written again (error %v) it is\n%s", f, err, again)
		}
		damaged := bytes.Replace(data, []byte(`"status": "`), []byte(`"status": "x`), 1)
		if bytes.Equal(damaged, data) {
			damaged = bytes.Replace(data, []byte(`"id": "`), []byte(`"id": "x`), 1)
		}
		if err := decodeRecord(damaged, reflect.New(reflect.TypeOf(got).Elem()).Interface()); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s with a changed byte: %v, want an error wrapping ErrCorrupt", f, err)
		}
	}
}

// sameJSON reports whether a and b have the same JSON encoding: the same
// values, and times at the same instant with the same zone offset, which
// reflect.DeepEqual cannot tell of a decoded time.Time.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// BenchmarkRecordCodec times encodeRecord and decodeRecord on a real
// attempt record (a foreach's start: 8 artifacts), warm: in a fresh
// process encoding/json's first use of a type costs more (it builds its
// caches).
func BenchmarkRecordCodec(b *testing.B) {
	data, err := os.ReadFile("testdata/attempts/foreach-start.json")
	if err != nil {
		b.Fatal(err)
	}
	var a Attempt
	if err := decodeRecord(data, &a); err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeRecord(&a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			var v Attempt
			if err := decodeRecord(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
