package cachekey_test

import (
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/cachekey"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

// TestBuilder: the key depends on every label and value and their order,
// and values cannot run into each other.
func TestBuilder(t *testing.T) {
	key := func(kv ...string) string {
		b := cachekey.New()
		for i := 0; i < len(kv); i += 2 {
			b.Add(kv[i], kv[i+1])
		}
		return b.Key()
	}
	base := key("a", "1", "b", "2")
	if len(base) != 64 || key("a", "1", "b", "2") != base {
		t.Fatalf("key %q is not a stable SHA-256", base)
	}
	for _, other := range [][]string{{"a", "1", "b", "3"}, {"b", "2", "a", "1"}, {"a", "1 b", "", "2"}, {"a", "1\"", "b", "2"}, {"a", "1"}} {
		if key(other...) == base {
			t.Errorf("%q gives the key of a=1 b=2", other)
		}
	}
}

// TestDigest: by name, hash and encoding, not by order, size or type;
// skipped fields are left out.
func TestDigest(t *testing.T) {
	a := map[string]datastore.ArtifactRef{"X": {Hash: "h1", Encoding: "json", Size: 3}, "Y": {Hash: "h2", Encoding: "bytes"}}
	b := map[string]datastore.ArtifactRef{"Y": {Hash: "h2", Encoding: "bytes", Type: "[]uint8"}, "X": {Hash: "h1", Encoding: "json", Size: 9}}
	if cachekey.Digest(a) != cachekey.Digest(b) {
		t.Error("the same contents give two digests")
	}
	c := map[string]datastore.ArtifactRef{"X": {Hash: "h1", Encoding: "bytes"}, "Y": {Hash: "h2", Encoding: "bytes"}}
	if cachekey.Digest(a) == cachekey.Digest(c) {
		t.Error("another encoding gives the same digest")
	}
	if cachekey.Digest(a, "Y") != cachekey.Digest(map[string]datastore.ArtifactRef{"X": a["X"]}) {
		t.Error("a skipped field counts")
	}
}

type st struct{ Items []int }

// TestCloudCached: which cached steps a state machine decides.
func TestCloudCached(t *testing.T) {
	noop := func(*st, *stepflow.Context) error { return nil }
	g, err := graph.New(flow.MustDefinitionOf(stepflow.New[st]("F").
		Step("start", noop, stepflow.Next("a"), stepflow.Cache()).
		Step("a", noop, stepflow.Next("fe"), stepflow.Cache()).
		Step("fe", noop, stepflow.Foreach("Items", "body"), stepflow.Cache()).
		Step("body", noop, stepflow.Next("join"), stepflow.Cache()).
		Join("join", func(*st, *stepflow.Context, []*st) error { return nil }, stepflow.Next("b")).
		Step("b", noop, stepflow.Next("c"), stepflow.Cache()).
		Step("c", noop, stepflow.Next("d")).
		Step("d", noop, stepflow.Next("end"), stepflow.Cache()).
		Step("end", noop, stepflow.Cache())))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"a": true, "b": true, "d": true}
	for _, name := range g.Order {
		if got := cachekey.CloudCached(g, g.Node(name)); got != want[name] {
			t.Errorf("CloudCached(%s) = %v", name, got)
		}
	}
	for _, name := range g.Order {
		if got := cachekey.MapCached(g, g.Node(name)); got != (name == "body") {
			t.Errorf("MapCached(%s) = %v", name, got)
		}
	}
	feeds := map[string]bool{"start": true, "join": true, "c": true}
	for _, name := range g.Order {
		if got := cachekey.FeedsCloudCached(g, g.Node(name)); got != feeds[name] {
			t.Errorf("FeedsCloudCached(%s) = %v", name, got)
		}
	}
}
