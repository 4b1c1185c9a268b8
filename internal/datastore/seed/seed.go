// Package seed writes a fixed, deterministic datastore for tests of the
// inspection tools: runs that succeeded (with a retry), failed and are still
// running, plus a second flow.
package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

// T0 is the start of the seeded runs.
var T0 = time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)

// seedTask is one attempt to write.
type seedTask struct {
	step, task string
	attempt    int
	status     string
	start, end time.Duration // after the run's start
	err        string
	indices    []int
	width      int
	artifacts  map[string]any
	stdout     string
	stderr     string
	noRecord   bool       // logs only: an attempt still going
	card       *card.Card // saved with the attempt
}

// seedRun writes one run of flow under root.
func seedRun(ctx context.Context, b datastore.Backend, flow, id string, start time.Time, status string, dur time.Duration, tasks []seedTask) error {
	s := datastore.NewStore(b, flow)
	tags := map[string][]string{"r1": {"nightly", "v2"}, "r2": {"nightly"}}[id]
	started := map[string]map[string]string{"r1": {"type": "schedule"}, "r2": {"type": "event", "event": "data.ready", "id": "ev-1"}}[id]
	if err := s.Runs().Put(ctx, datastore.Run{Flow: flow, ID: id, Start: start, Params: map[string]string{"alpha": "0.5"}, Tags: tags, Runtime: "local", Trigger: started}); err != nil {
		return err
	}
	for _, t := range tasks {
		// As a supervisor does when an attempt starts.
		if err := s.Attempts().PutStarted(ctx, id, t.step, t.task, t.attempt, start.Add(t.start)); err != nil {
			return err
		}
		for stream, text := range map[string]string{"stdout": t.stdout, "stderr": t.stderr} {
			if text != "" {
				if err := s.Logs().Put(ctx, id, t.step, t.task, t.attempt, stream, strings.NewReader(text)); err != nil {
					return err
				}
			}
		}
		if t.noRecord {
			continue
		}
		a := datastore.Attempt{
			Run: id, Step: t.step, Task: t.task, Attempt: t.attempt, Status: t.status,
			Start: start.Add(t.start), End: start.Add(t.end), Error: t.err,
			Indices: t.indices, ForeachWidth: t.width, Artifacts: map[string]datastore.ArtifactRef{},
		}
		if t.status == datastore.StatusFailed {
			a.ExitCode = 1
		}
		for name, v := range t.artifacts {
			data, enc, err := artifact.Encode(reflect.ValueOf(v))
			if err != nil {
				return fmt.Errorf("artifact %s: %w", name, err)
			}
			hash, err := s.Blobs().Put(ctx, data)
			if err != nil {
				return err
			}
			a.Artifacts[name] = datastore.ArtifactRef{Hash: hash, Encoding: enc, Size: int64(len(data)), Type: reflect.TypeOf(v).String()}
		}
		if t.card != nil {
			data, err := json.Marshal(t.card)
			if err != nil {
				return err
			}
			if a.Card, err = s.Blobs().Put(ctx, data); err != nil {
				return err
			}
		}
		if err := s.Attempts().Put(ctx, a); err != nil {
			return err
		}
	}
	if status != "" {
		return s.Runs().PutEnd(ctx, id, datastore.RunEnd{Status: status, End: start.Add(dur)})
	}
	return nil
}

// endCard is the card of HelloFlow r1's end task.
func endCard() *card.Card {
	k := &card.Card{}
	k.Markdown("# Best: eu\n\nScores of the *shards*.")
	k.Table([][]any{{"eu", 0.9}, {"us", 0.7}}, "shard", "score")
	k.Chart(card.Chart{Kind: card.Bar, Title: "Scores", Categories: []string{"eu", "us"}, Series: []card.Series{{Y: []float64{0.9, 0.7}}}})
	return k
}

// Model is a struct artifact.
type Model struct {
	Name   string
	Scores map[string]float64
}

// Write writes HelloFlow with three runs (succeeded, failed, running) and
// OtherFlow with one into the directory root.
func Write(root string) error {
	b, err := local.New(root, local.Options{})
	if err != nil {
		return err
	}
	return WriteTo(context.Background(), b)
}

// WriteTo writes what Write writes into b.
func WriteTo(ctx context.Context, b datastore.Backend) error {
	sec := time.Second
	ok := datastore.StatusSucceeded
	failed := datastore.StatusFailed
	start := seedTask{step: "start", task: "0", status: ok, end: sec / 2, width: 2,
		artifacts: map[string]any{"Alpha": 0.5, "Shards": []string{"eu", "us"}}, stdout: "starting\n"}
	err := seedRun(ctx, b, "HelloFlow", "r1", T0, ok, 4*sec, []seedTask{
		start,
		{step: "train", task: "0", indices: []int{0}, status: ok, start: sec, end: 2 * sec,
			artifacts: map[string]any{"Alpha": 0.5, "Shard": "eu", "Score": 0.9}, stdout: "training eu\n"},
		{step: "train", task: "1", indices: []int{1}, status: failed, start: sec, end: 2 * sec,
			err: "fit us: diverged", stdout: "training us\n", stderr: "diverged\n"},
		{step: "train", task: "1", attempt: 1, indices: []int{1}, status: ok, start: 2 * sec, end: 3 * sec,
			artifacts: map[string]any{"Alpha": 0.5, "Shard": "us", "Score": 0.7}, stdout: "training us again\n"},
		{step: "end", task: "0", status: ok, start: 3 * sec, end: 4 * sec,
			artifacts: map[string]any{
				"Alpha": 0.5, "Best": "eu", "Raw": []byte("\x00\x01hello"),
				"Model": Model{Name: "eu", Scores: map[string]float64{"eu": 0.9, "us": 0.7}},
			}, card: endCard()},
	})
	if err != nil {
		return err
	}
	err = seedRun(ctx, b, "HelloFlow", "r2", T0.Add(time.Hour), failed, 2*sec, []seedTask{
		start,
		{step: "train", task: "0", indices: []int{0}, status: failed, start: sec, end: 2 * sec,
			err: "boom", stderr: "panic: boom\n"},
	})
	if err != nil {
		return err
	}
	err = seedRun(ctx, b, "HelloFlow", "r3", T0.Add(2*time.Hour), "", 0, []seedTask{
		start,
		{step: "train", task: "2", indices: []int{2}, status: ok, start: sec, end: 2 * sec},
		{step: "train", task: "10", indices: []int{10}, status: ok, start: sec, end: 2 * sec},
		{step: "train", task: "11", noRecord: true, stdout: "halfway\n"},
	})
	if err != nil {
		return err
	}
	return seedRun(ctx, b, "OtherFlow", "o1", T0, ok, sec, []seedTask{{step: "start", task: "0", status: ok}})
}
