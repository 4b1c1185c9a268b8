package task_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/task"
)

type fanState struct {
	Items []int
	Table map[string][]float64
	Ptr   *int // not plain data: decoded for each child
	Seen  string
}

// Children of a foreach sharing a ParentCache each get their own copy of
// what they inherit: a child that changes its state changes neither its
// siblings' nor the cached one, its change is saved, and a child that
// changes nothing keeps the parent's blobs.
func TestParentCacheCopies(t *testing.T) {
	f := flow.MustDefinitionOf(stepflow.New[fanState]("FanFlow").
		Step("start", func(s *fanState, c *stepflow.Context) error {
			s.Items = []int{0, 1, 2, 3, 4, 5}
			s.Table = map[string][]float64{"a": {1, 2}}
			s.Ptr = new(int)
			*s.Ptr = 7
			return nil
		}, stepflow.Foreach("Items", "work")).
		Step("work", func(s *fanState, c *stepflow.Context) error {
			i := stepflow.Item[int](c)
			s.Seen = fmt.Sprint(s.Items, s.Table, *s.Ptr)
			if i%2 == 0 {
				s.Items[0] += 100
				s.Table["a"][0] += 1
				s.Table[fmt.Sprint("k", i)] = nil
				*s.Ptr += 1
			}
			return nil
		}, stepflow.Next("join")).
		Join("join", func(s *fanState, c *stepflow.Context, in []*fanState) error { return nil }, stepflow.Next("end")).
		Step("end", func(s *fanState, c *stepflow.Context) error { return nil }))
	g, err := graph.New(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ex := &task.Executor{Flow: f, Graph: g, Store: datastore.NewStore(b, f.Name), Parents: &task.ParentCache{}}
	ctx := context.Background()
	start, err := ex.Run(ctx, task.Spec{RunID: "r1", Step: "start", Params: map[string]string{}})
	if err != nil || start.Status != datastore.StatusSucceeded {
		t.Fatalf("start: %v %+v", err, start)
	}
	for _, i := range []int{0, 1, 2, 3, 4, 5, 2} { // 2 again: a retry after the entry was dropped
		rec, err := ex.Run(ctx, task.Spec{RunID: "r1", Step: "work", Indices: []int{i}, Inputs: []string{"r1/start/0"}})
		if err != nil || rec.Status != datastore.StatusSucceeded {
			t.Fatalf("work %d: %v %+v", i, err, rec)
		}
		var got fanState
		for name, ref := range rec.Artifacts {
			field := reflect.ValueOf(&got).Elem().FieldByName(name)
			if err := task.DecodeArtifact(ctx, ex.Store.Blobs(), ref, field.Addr()); err != nil {
				t.Fatal(err)
			}
		}
		if want := "[0 1 2 3 4 5] map[a:[1 2]] 7"; got.Seen != want {
			t.Errorf("work %d saw %q, want the parent's %q", i, got.Seen, want)
		}
		changed := i%2 == 0
		for _, name := range []string{"Items", "Table", "Ptr"} {
			if same := rec.Artifacts[name].Hash == start.Artifacts[name].Hash; same == changed {
				t.Errorf("work %d: %s stored anew = %v, want %v", i, name, !same, changed)
			}
		}
		if changed && (got.Items[0] != 100 || got.Table["a"][0] != 2 || len(got.Table) != 2 || *got.Ptr != 8) {
			t.Errorf("work %d saved %+v, want its changes", i, got)
		}
	}
}
