package datastore

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAttemptCodecKnowsEveryField fails when Attempt or ArtifactRef gains,
// loses or retags a field: appendAttempt and decodeAttempt spell the
// fields out and must be changed with them.
func TestAttemptCodecKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		tags []string
	}{
		{reflect.TypeFor[Attempt](), []string{"run", "step", "task", "attempt", "status", "start", "end", "exit_code",
			"error,omitempty", "artifacts,omitempty", "inputs,omitempty", "indices,omitempty", "foreach_width,omitempty",
			"switch_target,omitempty", "origin,omitempty", "caught,omitempty", "env,omitempty", "card,omitempty"}},
		{reflect.TypeFor[ArtifactRef](), []string{"hash", "encoding", "size", "type"}},
	} {
		var tags []string
		for i := range c.typ.NumField() {
			tags = append(tags, c.typ.Field(i).Tag.Get("json"))
		}
		if !reflect.DeepEqual(tags, c.tags) {
			t.Errorf("%v's json tags are\n%q\nbut appendAttempt and decodeAttempt (attemptenc.go, attemptdec.go) know\n%q\nchange them with the struct", c.typ, tags, c.tags)
		}
	}
	for i, tag := range []string{"run", "step", "task", "attempt", "status", "start", "end", "exit_code",
		"error", "artifacts", "inputs", "indices", "foreach_width", "switch_target", "origin", "caught", "env", "card"} {
		if attemptFields[i] != tag {
			t.Errorf("attemptFields[%d] = %q, want %q", i, attemptFields[i], tag)
		}
	}
}

// TestAppendAttemptMatchesJSON checks appendAttempt against
// json.MarshalIndent byte for byte on generated attempts, and that
// decodeAttempt reads each back (always, for what appendAttempt wrote) as
// json.Unmarshal does.
func TestAppendAttemptMatchesJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 1))
	attempts := []Attempt{
		{},
		{Artifacts: map[string]ArtifactRef{}, Inputs: []string{}, Indices: []int{}, Env: map[string]string{}},
		{Attempt: math.MaxInt, ExitCode: math.MinInt, ForeachWidth: -1, Indices: []int{math.MinInt, 0, math.MaxInt},
			Artifacts: map[string]ArtifactRef{"": {Size: math.MinInt64}, "x": {Size: math.MaxInt64}}},
		{Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},                      // year out of range
		{End: time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC)},                         // year out of range
		{Start: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("", 24*3600))},    // offset out of range
		{Start: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("", -24*3600-1))}, // offset out of range
		{Start: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("", 23*3600+59*60+59))},
		{Start: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{Start: time.Now(), End: time.Now().In(time.Local)},
	}
	for range 3000 {
		attempts = append(attempts, randAttempt(r))
	}
	var fastRead, failed int
	for i := range attempts {
		a := &attempts[i]
		want, wantErr := json.MarshalIndent(a, "", "  ")
		got, err := appendAttempt([]byte("prefix"), a)
		if (err != nil) != (wantErr != nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("attempt %d %#v: appendAttempt error %v, json.MarshalIndent error %v", i, a, err, wantErr)
		}
		if err != nil {
			failed++
			continue
		}
		if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[len("prefix"):], want) {
			t.Fatalf("attempt %d %#v:\nappendAttempt wrote\n%s\njson.MarshalIndent writes\n%s", i, a, got, want)
		}
		var fast Attempt
		switch ok := decodeAttempt(want, &fast); {
		case ok:
			fastRead++
			checkSameAsJSON(t, want, &fast)
		case !collidingKeys(a):
			t.Fatalf("attempt %d: decodeAttempt refused a record appendAttempt wrote:\n%s", i, want)
		}
	}
	if failed != 4 || fastRead < len(attempts)*9/10 {
		t.Errorf("%d attempts failed to encode and %d of %d were read by decodeAttempt, want 4 and nearly all", failed, fastRead, len(attempts))
	}
}

// collidingKeys reports whether two keys of one of a's maps read back
// alike (each byte of invalid UTF-8 is written as U+FFFD): the record then
// has a duplicate key, which decodeAttempt leaves to json.Unmarshal.
func collidingKeys(a *Attempt) bool {
	written := func(keys []string) bool {
		seen := map[string]bool{}
		for _, k := range keys {
			var w string
			if err := json.Unmarshal(appendJSONString(nil, k), &w); err != nil {
				panic(err)
			}
			if seen[w] {
				return true
			}
			seen[w] = true
		}
		return false
	}
	return written(slices.Sorted(maps.Keys(a.Artifacts))) || written(slices.Sorted(maps.Keys(a.Env)))
}

// checkSameAsJSON fails t unless json.Unmarshal decodes data without error
// to a value equal to got.
func checkSameAsJSON(t testing.TB, data []byte, got *Attempt) {
	t.Helper()
	var want Attempt
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("decodeAttempt accepted what json.Unmarshal refuses (%v):\n%q", err, data)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("decodeAttempt gave\n%#v\njson.Unmarshal gives\n%#v\nfor %q", *got, want, data)
	}
}

// stringPieces are what randString builds strings of: plain text, what
// encoding/json escapes, multi-byte UTF-8 and invalid UTF-8.
var stringPieces = []string{"a", "Z", "run-1/step/0", " ", "<", ">", "&", "\"", "\\", "/", "'",
	"\x00", "\x01", "\x1f", "\b", "\f", "\n", "\r", "\t", "\x7f", "é", "世界", "😀", "\u2028", "\u2029",
	"\ufffd", "\xff", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x80", "\U0010ffff"}

func randString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(8) {
		if r.IntN(10) == 0 {
			b.WriteByte(byte(r.IntN(256)))
		} else {
			b.WriteString(stringPieces[r.IntN(len(stringPieces))])
		}
	}
	return b.String()
}

func randInt(r *rand.Rand) int {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return r.IntN(100)
	case 2:
		return -r.IntN(1000)
	}
	return int(r.Uint64())
}

func randTime(r *rand.Rand) time.Time {
	t := time.Unix(r.Int64N(300e9)-62e9, r.Int64N(1e9)) // years 0-9999
	switch r.IntN(6) {
	case 0:
		return time.Time{}
	case 1:
		return t.UTC()
	case 2:
		return t.Truncate(time.Second).UTC()
	case 3:
		return t.In(time.Local)
	case 4:
		return t.In(time.FixedZone("", (r.IntN(48)-24)*1800)) // whole and half hours
	}
	return t.In(time.FixedZone("X", r.IntN(2*86399)-86399)) // down to seconds; may be out of range
}

func randAttempt(r *rand.Rand) Attempt {
	a := Attempt{Run: randString(r), Step: randString(r), Task: randString(r), Attempt: randInt(r),
		Status: randString(r), Start: randTime(r), End: randTime(r), ExitCode: randInt(r)}
	if r.IntN(2) == 0 {
		a.Error = randString(r)
	}
	if n := r.IntN(5) - 1; n >= 0 {
		a.Artifacts = map[string]ArtifactRef{}
		for range n {
			a.Artifacts[randString(r)] = ArtifactRef{Hash: randString(r), Encoding: randString(r),
				Size: int64(randInt(r)), Type: randString(r)}
		}
	}
	if n := r.IntN(5) - 1; n >= 0 {
		a.Inputs = []string{}
		for range n {
			a.Inputs = append(a.Inputs, randString(r))
		}
	}
	if n := r.IntN(5) - 1; n >= 0 {
		a.Indices = []int{}
		for range n {
			a.Indices = append(a.Indices, randInt(r))
		}
	}
	if r.IntN(2) == 0 {
		a.ForeachWidth = randInt(r)
	}
	if r.IntN(2) == 0 {
		a.SwitchTarget, a.Origin, a.Caught, a.Card = randString(r), randString(r), randString(r), randString(r)
	}
	if n := r.IntN(5) - 1; n >= 0 {
		a.Env = map[string]string{}
		for range n {
			a.Env[randString(r)] = randString(r)
		}
	}
	return a
}

// decodeCases are hand-written records, with whether decodeAttempt takes
// them (false: it leaves them to json.Unmarshal).
var decodeCases = []struct {
	ok   bool
	data string
}{
	{true, `{}`},
	{true, " \t\r\n{ \"run\" : \"r\" , \"attempt\":-0 }\n\t "},
	{true, `{"run":null,"attempt":null,"start":null,"artifacts":null,"inputs":null,"env":null}`},
	{true, `{"artifacts":{},"inputs":[],"indices":[],"env":{}}`},
	{true, `{"x":{"a":[1,-2.5e+3,0.0,1E-2,true,false,null,"s\u0041",{},[]]},"y":[[[]]],"sha256":"ab","z":-0.1}`},
	{true, `{"run":"\"\\\/\b\f\n\r\t\u0041\u00e9\u4e16\ud83d\ude00\u2028<>&"}`},
	{true, `{"run":"\ud800","step":"\udc00x","task":"\ud800\ud800\udc00","status":"\ud83d\u0041","error":"\ud83d"}`},
	{true, `{"run":"é世😀","env":{"é":"\u0000","":""},"inputs":["a","\u00e9"],"indices":[0,-1,9223372036854775807]}`},
	{true, `{"start":"2026-01-02T03:04:05.123456789+05:30","end":"2026-01-02T03:04:05Z"}`},
	{true, `{"artifacts":{"A":{"hash":"h","encoding":"binary","size":-9223372036854775808,"type":"t","extra":[1]},"B":{}}}`},
	{true, `{"RUN_":1,"sha256":"","Sha256":null}`}, // unknown keys, whatever their case
	{true, `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`},

	{false, `{"Run":"r"}`},     // json matches keys case-insensitively
	{false, `{"ſtep":"s"}`},    // ſ folds to s
	{false, `{"exit_Code":1}`}, // case-folded
	{false, `{"artifacts":{"a":{"Hash":"h"}}}`},
	{false, `{"run":"a","run":"b"}`}, // duplicate key
	{false, `{"run":"a","run":null}`},
	{false, `{"env":{"k":"a","k":"b"}}`},
	{false, `{"artifacts":{"a":{},"a":{}}}`},
	{false, `{"artifacts":{"a":{"size":1,"size":2}}}`},
	{false, `{"inputs":["a",null]}`},
	{false, `{"env":{"k":null}}`},
	{false, `{"artifacts":{"a":null}}`},
	{false, `{"artifacts":{"a":{"hash":null}}}`},
	{false, `{"attempt":1.0}`},
	{false, `{"attempt":1e2}`},
	{false, `{"attempt":9223372036854775808}`},
	{false, `{"indices":[1,2.5]}`},
	{false, `{"artifacts":{"a":{"size":"1"}}}`},
	{false, `{"attempt":"1"}`},
	{false, `{"run":1}`},
	{false, `{"run":true}`},
	{false, `{"inputs":"a"}`},
	{false, `{"env":[]}`},
	{false, `{"start":"2026-01-02T03:04:05\u005a"}`}, // time.Time reads the string unescaped
	{false, `{"start":"yesterday"}`},
	{false, `{"start":1}`},
	{false, "{\"run\":\"\xff\"}"}, // invalid UTF-8
	{false, "{\"x\":\"\xc3\"}"},
	{false, "{\"run\":\"a\x01\"}"}, // control character
	{false, `{"run":"\'"}`},        // not a JSON escape
	{false, `{"run":"\u00g0"}`},
	{false, `{"run":"a}`},
	{false, `{"run":"a",}`},
	{false, `{"attempt":01}`},
	{false, `{"x":-}`},
	{false, `{"x":1.}`},
	{false, `{"x":.5}`},
	{false, `{"x":1e}`},
	{false, `{"x":tru}`},
	{false, `{"x":nul}`},
	{false, `{"x":[1,]}`},
	{false, `{"x":{"a"}}`},
	{false, `{} x`},
	{false, `{}{}`},
	{false, `[]`},
	{false, `null`},
	{false, ``},
	{false, "\ufeff{}"},
	{false, `{"x":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`}, // deeper than maxSkipDepth
}

// TestDecodeAttemptCases checks which hand-written records decodeAttempt
// takes, and that it decodes those as json.Unmarshal does.
func TestDecodeAttemptCases(t *testing.T) {
	for _, c := range decodeCases {
		var a Attempt
		ok := decodeAttempt([]byte(c.data), &a)
		if ok != c.ok {
			t.Errorf("decodeAttempt(%q) = %v, want %v", c.data, ok, c.ok)
			continue
		}
		if ok {
			checkSameAsJSON(t, []byte(c.data), &a)
		} else if !a.isZero() {
			t.Errorf("decodeAttempt(%q) refused the record but changed the attempt to %#v", c.data, a)
		}
	}
}

// TestDecodeRecordAttempt checks decodeRecord's use of decodeAttempt:
// records written by Stepflow before it existed read back as json.Unmarshal
// reads them and write back byte for byte, checksum included; records it
// refuses are still read by json.Unmarshal; an Attempt that is not zero is
// merged into as json.Unmarshal does.
func TestDecodeRecordAttempt(t *testing.T) {
	files, err := filepath.Glob("testdata/attempts/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no records in testdata/attempts: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var a, fast Attempt
		if err := decodeRecord(data, &a); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !decodeAttempt(data, &fast) {
			t.Fatalf("%s: decodeAttempt refused it", f)
		}
		checkSameAsJSON(t, data, &a)
		again, err := encodeRecord(a)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("%s: written again (err %v) it is\n%s", f, err, again)
		}
		if p, err := encodeRecord(&a); err != nil || !bytes.Equal(p, data) {
			t.Fatalf("%s: written again from a pointer (err %v) it is\n%s", f, err, p)
		}
	}

	folded, err := encodeRecord(struct {
		Run   string `json:"RUN"`
		Steps []int  `json:"indices"`
	}{"r", []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	var a Attempt
	if err := decodeRecord(folded, &a); err != nil || a.Run != "r" || !reflect.DeepEqual(a.Indices, []int{1}) {
		t.Errorf("decodeRecord of a case-folded key: %v, %#v", err, a)
	}

	merged := Attempt{Run: "kept", Indices: []int{7, 8}, Env: map[string]string{"A": "1"}}
	want := merged
	want.Env = map[string]string{"A": "1"}
	want.Indices = []int{7, 8}
	rec, err := encodeRecord(Attempt{Step: "s", Indices: []int{1}, Env: map[string]string{"B": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rec, &want); err != nil {
		t.Fatal(err)
	}
	if err := decodeRecord(rec, &merged); err != nil || !reflect.DeepEqual(merged, want) {
		t.Errorf("decodeRecord into a non-zero Attempt: %v\n%#v\nwant\n%#v", err, merged, want)
	}

	damaged := bytes.Replace(rec, []byte(`"s"`), []byte(`"t"`), 1)
	if err := decodeRecord(damaged, new(Attempt)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("decodeRecord of a record whose checksum fails: %v", err)
	}
}

// FuzzDecodeAttempt checks that whenever decodeAttempt takes an input,
// json.Unmarshal takes it too and gives the same Attempt, and that an
// input it refuses leaves the Attempt zero.
func FuzzDecodeAttempt(f *testing.F) {
	files, _ := filepath.Glob("testdata/attempts/*.json")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, c := range decodeCases {
		f.Add([]byte(c.data))
	}
	r := rand.New(rand.NewPCG(13, 2))
	for range 20 {
		a := randAttempt(r)
		if data, err := json.MarshalIndent(&a, "", "  "); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Attempt
		if !decodeAttempt(data, &a) {
			if !a.isZero() {
				t.Fatalf("decodeAttempt refused %q but changed the attempt to %#v", data, a)
			}
			return
		}
		checkSameAsJSON(t, data, &a)
	})
}

// FuzzAppendAttempt checks appendAttempt against json.MarshalIndent on
// attempts built from arbitrary strings, numbers and times.
func FuzzAppendAttempt(f *testing.F) {
	f.Add("run", "k", "v\u2028<>&\x00\xff", int64(3), int64(1767322800), int64(5), 3600)
	f.Add("", "", "", int64(-1), int64(-62135596801), int64(0), 0)
	f.Add("a\"b\\", "\xed\xa0\x80", "😀", int64(math.MaxInt64), int64(253402300800), int64(999999999), -86400)
	f.Fuzz(func(t *testing.T, s, k, v string, n, sec, nsec int64, offset int) {
		at := time.Unix(sec, nsec).In(time.FixedZone(k, offset))
		a := Attempt{Run: s, Step: k, Task: v, Attempt: int(n), Status: s + v, Start: at, End: at.UTC(),
			ExitCode: int(nsec), Error: v, Artifacts: map[string]ArtifactRef{k: {s, v, n, k}, v: {}},
			Inputs: []string{s, k, v}, Indices: []int{int(n), int(sec)}, ForeachWidth: int(sec),
			SwitchTarget: k, Origin: v, Caught: s, Env: map[string]string{s: k, v: s}, Card: k}
		want, wantErr := json.MarshalIndent(&a, "", "  ")
		got, err := appendAttempt(nil, &a)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("%#v:\nappendAttempt (error %v) wrote\n%s\njson.MarshalIndent (error %v) writes\n%s", a, err, got, wantErr, want)
		}
		if err == nil {
			var fast Attempt
			if decodeAttempt(want, &fast) {
				checkSameAsJSON(t, want, &fast)
			} else if !collidingKeys(&a) {
				t.Fatalf("decodeAttempt refused a record appendAttempt wrote:\n%s", want)
			}
		}
	})
}

// BenchmarkAttemptCodec compares appendAttempt and decodeAttempt with
// encoding/json on a real record (a foreach's start: 8 artifacts), warm:
// in a fresh process encoding/json's first call costs far more.
func BenchmarkAttemptCodec(b *testing.B) {
	data, err := os.ReadFile("testdata/attempts/foreach-start.json")
	if err != nil {
		b.Fatal(err)
	}
	var a Attempt
	if err := json.Unmarshal(data, &a); err != nil {
		b.Fatal(err)
	}
	b.Run("encode/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.MarshalIndent(&a, "", "  "); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/append", func(b *testing.B) {
		for b.Loop() {
			if _, err := appendAttempt(nil, &a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/json", func(b *testing.B) {
		for b.Loop() {
			var v Attempt
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/fast", func(b *testing.B) {
		for b.Loop() {
			var v Attempt
			if !decodeAttempt(data, &v) {
				b.Fatal("refused")
			}
		}
	})
}
