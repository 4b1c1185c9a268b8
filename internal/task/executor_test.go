package task_test

import (
	"context"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/task"
)

// localExecutor returns an executor of f over a local datastore in a new
// directory, which it returns too, with a run record for each of runs.
func localExecutor(t *testing.T, f *flow.Flow, runs ...string) (*task.Executor, string) {
	t.Helper()
	g, err := graph.New(f)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ex := &task.Executor{Flow: f, Graph: g, Store: datastore.NewStore(b, f.Name)}
	for _, run := range runs {
		if err := ex.Store.Runs().Put(context.Background(), datastore.Run{ID: run, Runtime: "local"}); err != nil {
			t.Fatal(err)
		}
	}
	return ex, root
}
