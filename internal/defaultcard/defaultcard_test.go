package defaultcard_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/defaultcard"
)

// graph is start -> foreach each -> join (drops Item) -> end.
const graph = `{"flow":"F","steps":[{"name":"start","kind":"foreach","next":["each"],"join":"join","field":"Items"},` +
	`{"name":"each","kind":"linear","next":["join"]},{"name":"join","kind":"join","next":["end"],"drop":["Item"]},{"name":"end","kind":"end"}]}`

// TestBuild: the default card of a task after a join: its place in the
// graph, its timings (a retry included), the run's parameters, its
// artifacts with summaries and values, and the dropped field marked with
// the join that dropped it (not its zero).
func TestBuild(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "F")
	t0 := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := s.Runs().Put(ctx, datastore.Run{ID: "r", Start: t0, Params: map[string]string{"alpha": "0.5"}, Runtime: "local", Graph: []byte(graph)}); err != nil {
		t.Fatal(err)
	}
	put := func(step string, attempt int, status string, inputs []string, arts map[string]any) {
		t.Helper()
		a := datastore.Attempt{Run: "r", Step: step, Task: "0", Attempt: attempt, Status: status, Start: t0, End: t0.Add(1500 * time.Millisecond),
			Inputs: inputs, Artifacts: map[string]datastore.ArtifactRef{}}
		for n, v := range arts {
			enc, err := artifact.Marshal(reflect.ValueOf(v))
			if err != nil {
				t.Fatal(err)
			}
			h, err := s.Blobs().PutParts(ctx, enc.Parts)
			if err != nil {
				t.Fatal(err)
			}
			a.Artifacts[n] = datastore.ArtifactRef{Hash: h, Encoding: enc.Encoding, Size: enc.Size, Type: reflect.TypeOf(v).String()}
		}
		if err := s.Attempts().Put(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	put("join", 0, datastore.StatusSucceeded, nil, map[string]any{"Item": "", "Total": 6})
	put("end", 0, datastore.StatusFailed, []string{"r/join/0"}, nil)
	put("end", 1, datastore.StatusSucceeded, []string{"r/join/0"}, map[string]any{"Item": "", "Total": 6, "Curve": []float64{1, 2, 3}})
	c, err := client.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.Flow("F").Run(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	end, err := run.Task(ctx, "end", "0")
	if err != nil {
		t.Fatal(err)
	}
	if got := defaultcard.DroppedBy(ctx, run, end); !reflect.DeepEqual(got, map[string]string{"Item": "join"}) {
		t.Errorf("DroppedBy(end) = %v, want Item by join", got)
	}
	k, err := defaultcard.Build(ctx, run, end, defaultcard.Attempts(ctx, run, end))
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, e := range k.Elements() {
		switch {
		case e.Markdown != "":
			text = append(text, e.Markdown)
		case e.Table != nil:
			for _, row := range e.Table.Rows {
				text = append(text, strings.Join(row, " | "))
			}
		}
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{
		"## Task end/0: succeeded",
		"`join` → **`end`** → (end)",
		"`end` is the end step.",
		"0 | failed | 2026-05-06 07:08:09.000 | 2026-05-06 07:08:10.500 | 1.5s | 0",
		"1 | succeeded |",
		"alpha | 0.5",
		"Curve | []float64 | []float64, array of 3 float64, ",
		"| [1,2,3]",
		"Item | string | dropped by join join (stepflow.Drop): its zero value is not data |",
		"Total | int | int, scalar",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the default card lacks %q:\n%s", want, all)
		}
	}
}
