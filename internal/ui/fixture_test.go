package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

// t0 is the start of the fixture's runs.
var t0 = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// xss is a value that would run as script if a page failed to escape it.
const xss = `<script>alert("x")</script>`

// trainGraph is the shape of TrainFlow: start -> foreach train -> join -> end.
const trainGraph = `{"flow":"TrainFlow","steps":[` +
	`{"name":"start","kind":"foreach","next":["train"],"join":"join","field":"Shards"},` +
	`{"name":"train","kind":"linear","next":["join"]},` +
	`{"name":"join","kind":"join","next":["end"],"drop":["Shard","Score"]},` +
	`{"name":"end","kind":"end"}]}`

// fixture writes datastores for the UI's tests: runs of TrainFlow as the
// runtime records them.
type fixture struct {
	t *testing.T
	s *datastore.Store
	// cards are stored with the attempts they are keyed by
	// (run/step/task/attempt), as the task runner stores them.
	cards map[string]*card.Card
	// inputs are the parent tasks of attempts, keyed as cards are.
	inputs map[string][]string
}

func newFixture(t testing.TB, root string) *fixture {
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{s: datastore.NewStore(b, "TrainFlow"), cards: map[string]*card.Card{}, inputs: map[string][]string{}}
}

func (f *fixture) run(t testing.TB, id string, start time.Time, origin string) {
	t.Helper()
	r := datastore.Run{ID: id, Start: start, Params: map[string]string{"alpha": "0.5", "note": xss}, Runtime: "local",
		Tags: []string{"nightly"}, Graph: []byte(trainGraph), Origin: origin}
	if origin != "" {
		r.ResumeStep = "train"
	}
	if err := f.s.Runs().Put(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

// task writes one finished attempt with its artifacts and stdout.
func (f *fixture) task(t testing.TB, run, step, task string, attempt int, status string, start, end time.Time, arts map[string]any, stdout, origin string) {
	t.Helper()
	ctx := context.Background()
	a := datastore.Attempt{Run: run, Step: step, Task: task, Attempt: attempt, Status: status, Start: start, End: end,
		Artifacts: map[string]datastore.ArtifactRef{}, Origin: origin, Inputs: f.inputs[fmt.Sprintf("%s/%s/%s/%d", run, step, task, attempt)]}
	if status == datastore.StatusFailed {
		a.ExitCode, a.Error = 1, "fit "+task+": diverged "+xss
	}
	if step == "start" {
		if shards, ok := arts["Shards"].([]string); ok {
			a.ForeachWidth = len(shards)
		}
	}
	for name, v := range arts {
		if ff, ok := v.(fixtureFile); ok {
			path := filepath.Join(t.TempDir(), ff.name)
			if err := os.WriteFile(path, []byte(ff.content), 0o644); err != nil {
				t.Fatal(err)
			}
			h, size, err := f.s.Blobs().PutFile(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			a.Artifacts[name] = datastore.ArtifactRef{Hash: h, Encoding: artifact.File, Size: size, Type: "stepflow.File", FileName: ff.name}
			continue
		}
		if bv, ok := v.(binaryValue); ok {
			enc, err := artifact.Marshal(reflect.ValueOf(bv.v))
			if err != nil {
				t.Fatal(err)
			}
			h, err := f.s.Blobs().PutParts(ctx, enc.Parts)
			if err != nil {
				t.Fatal(err)
			}
			a.Artifacts[name] = datastore.ArtifactRef{Hash: h, Encoding: enc.Encoding, Size: enc.Size, Type: reflect.TypeOf(bv.v).String()}
			continue
		}
		data, enc, err := artifact.Encode(reflect.ValueOf(v))
		if err != nil {
			t.Fatal(err)
		}
		h, err := f.s.Blobs().Put(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		a.Artifacts[name] = datastore.ArtifactRef{Hash: h, Encoding: enc, Size: int64(len(data)), Type: reflect.TypeOf(v).String()}
	}
	if stdout != "" {
		if err := f.s.Logs().Put(ctx, run, step, task, attempt, "stdout", strings.NewReader(stdout)); err != nil {
			t.Fatal(err)
		}
	}
	if k := f.cards[fmt.Sprintf("%s/%s/%s/%d", run, step, task, attempt)]; k != nil {
		data, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		if a.Card, err = f.s.Blobs().Put(ctx, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.s.Attempts().Put(ctx, a); err != nil {
		t.Fatal(err)
	}
}

// fixtureFile is a stepflow.File artifact of the fixture: the base name
// of the file it was stored from, and its content.
type fixtureFile struct{ name, content string }

// binaryValue is an artifact of the fixture stored in the binary
// encoding, as the runtime stores artifacts today (the others are stored
// as JSON, as older runtimes did).
type binaryValue struct{ v any }

// scoresCSV is the content of r-ok's end task's Data file.
const scoresCSV = "shard,score\neu,0.9\nus,0.7\n"

// reportCard is the card of r-ok's end task: one element of each kind,
// with a value that would run as script if it were not escaped.
func reportCard(t testing.TB) *card.Card {
	k := &card.Card{}
	k.Markdown("# Best shard: **eu**\n\nScores of the shards. " + xss)
	type row struct {
		Shard string
		Score float64
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(k.Table([]row{{"eu", 0.9}, {"us", 0.5}, {xss, 0.9}}))
	must(k.Chart(card.Chart{Kind: card.Bar, Title: "Score per shard", Categories: shards,
		Series: []card.Series{{Name: "score", Y: []float64{0.9, 0.5, 0.9}}}}))
	must(k.Chart(card.Chart{Kind: card.Line, Title: "Loss", XLabel: "epoch", YLabel: "loss",
		Series: []card.Series{{Name: "train", Y: []float64{2, 1.2, 0.8, 0.6, 0.5}}, {Name: "validation", Y: []float64{2.1, 1.4, 1.1, 1, 1}}}}))
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{220, 38, 38, 255})
	}
	var data bytes.Buffer
	must(png.Encode(&data, img))
	must(k.Image(data.Bytes(), "a diagonal"))
	return k
}

func (f *fixture) end(t testing.TB, run, status string, end time.Time) {
	t.Helper()
	if err := f.s.Runs().PutEnd(context.Background(), run, datastore.RunEnd{Status: status, End: end}); err != nil {
		t.Fatal(err)
	}
}

// shards are the foreach's items in the fixture's runs.
var shards = []string{"eu", "us", "asia"}

// writeRuns writes four runs: r-ok succeeded (a task retried once), r-fail
// failed in train, r-resumed resumed r-fail at train (start reused), and
// r-live, still running (train 1 of 3 done).
func writeRuns(t testing.TB, f *fixture) {
	sec := time.Second
	ok, failed := datastore.StatusSucceeded, datastore.StatusFailed
	at := func(base time.Time, s float64) time.Time { return base.Add(time.Duration(s * float64(sec))) }

	start := map[string]any{"Shards": shards, "Note": xss}
	// r-ok
	b := t0
	f.run(t, "r-ok", b, "")
	f.task(t, "r-ok", "start", "0", 0, ok, at(b, 0), at(b, 1), start, "starting\n"+xss+"\n", "")
	for i, sh := range shards {
		id := fmt.Sprint(i)
		if i == 1 {
			f.task(t, "r-ok", "train", id, 0, failed, at(b, 1), at(b, 2), nil, "training "+sh+"\n", "")
			f.task(t, "r-ok", "train", id, 1, ok, at(b, 2.2), at(b, 4), map[string]any{"Shard": sh, "Score": 0.5}, "again "+sh+"\n", "")
			continue
		}
		f.task(t, "r-ok", "train", id, 0, ok, at(b, 1), at(b, 2+float64(i)), map[string]any{"Shard": sh, "Score": 0.9}, "training "+sh+"\n", "")
	}
	f.task(t, "r-ok", "join", "0", 0, ok, at(b, 4.2), at(b, 4.5), map[string]any{"Best": "eu", "Scores": make([]float64, 50000), "Shard": "", "Score": 0.0}, "", "")
	f.cards["r-ok/end/0/0"] = reportCard(t)
	f.inputs["r-ok/end/0/0"] = []string{"r-ok/join/0"}
	f.task(t, "r-ok", "end", "0", 0, ok, at(b, 4.6), at(b, 5), map[string]any{"Best": "eu", "Raw": []byte("\x00\x01hi"), "Shard": "", "Score": 0.0,
		"Curve": binaryValue{[][]float64{{0.5, 0.25}, {0.125, 1}}},
		"Data":  fixtureFile{"scores.csv", scoresCSV}, "Model": fixtureFile{"model-7.bin", "\x00\x01\x02weights\xff"}}, "", "")
	f.end(t, "r-ok", ok, at(b, 5))

	// r-fail
	b = t0.Add(time.Hour)
	f.run(t, "r-fail", b, "")
	f.task(t, "r-fail", "start", "0", 0, ok, at(b, 0), at(b, 1), start, "starting\n", "")
	f.task(t, "r-fail", "train", "0", 0, ok, at(b, 1), at(b, 2), map[string]any{"Shard": "eu", "Score": 0.9}, "", "")
	f.task(t, "r-fail", "train", "1", 0, failed, at(b, 1), at(b, 2.5), nil, "", "")
	f.task(t, "r-fail", "train", "2", 0, ok, at(b, 1), at(b, 2), map[string]any{"Shard": "asia", "Score": 0.8}, "", "")
	f.end(t, "r-fail", failed, at(b, 3))

	// r-resumed: start reused from r-fail.
	b = t0.Add(2 * time.Hour)
	f.run(t, "r-resumed", b, "r-fail")
	f.task(t, "r-resumed", "start", "0", 0, ok, at(b, 0), at(b, 0.1), start, "", "r-fail/start/0")
	for i, sh := range shards {
		f.task(t, "r-resumed", "train", fmt.Sprint(i), 0, ok, at(b, 1), at(b, 2), map[string]any{"Shard": sh, "Score": 0.7}, "", "")
	}
	f.task(t, "r-resumed", "join", "0", 0, ok, at(b, 2), at(b, 2.5), map[string]any{"Best": "eu"}, "", "")
	f.task(t, "r-resumed", "end", "0", 0, ok, at(b, 2.5), at(b, 3), nil, "", "")
	f.end(t, "r-resumed", ok, at(b, 3))

	// r-live: going.
	b = time.Now().UTC().Add(-10 * sec)
	f.run(t, "r-live", b, "")
	f.task(t, "r-live", "start", "0", 0, ok, at(b, 0), at(b, 1), start, "", "")
	f.task(t, "r-live", "train", "0", 0, ok, at(b, 1), at(b, 3), map[string]any{"Shard": "eu", "Score": 0.9}, "", "")
}
