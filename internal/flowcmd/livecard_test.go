package flowcmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/flowcmd"
)

type liveFlow struct {
	Seen []string // the live card's first heading after each refresh, as a viewer read it
}

// TestRefreshCard: c.RefreshCard stores the card as it is for the viewers
// while the step runs (a second refresh within a second is skipped), and
// the live card goes once the attempt's record holds the final card.
func TestRefreshCard(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "LiveFlow")
	read := func(c *stepflow.Context) string {
		data, _, err := s.Attempts().LiveCard(ctx, c.RunID(), "start", "0", 0)
		if err != nil {
			return "error: " + err.Error()
		}
		var k card.Card
		if err := json.Unmarshal(data, &k); err != nil {
			return "error: " + err.Error()
		}
		return k.Elements()[0].Markdown
	}
	def := flow.MustDefinitionOf(stepflow.New[liveFlow]("LiveFlow").
		Step("start", func(f *liveFlow, c *stepflow.Context) error {
			f.Seen = append(f.Seen, read(c))
			c.Card().Markdown("epoch 1")
			if err := c.RefreshCard(); err != nil {
				return err
			}
			f.Seen = append(f.Seen, read(c))
			c.Card().Reset()
			c.Card().Markdown("epoch 2")
			if err := c.RefreshCard(); err != nil { // within a second: skipped
				return err
			}
			f.Seen = append(f.Seen, read(c))
			return nil
		}, stepflow.Next("end")).
		Step("end", func(f *liveFlow, c *stepflow.Context) error { return nil }))
	var out, errb strings.Builder
	getenv := func(k string) string {
		if k == "STEPFLOW_DATASTORE_ROOT" {
			return root
		}
		return ""
	}
	if code := flowcmd.Run(ctx, def, []string{"run", "--in-process"}, &out, &errb, getenv); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out.String(), errb.String())
	}
	runs, err := s.Runs().List(ctx)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	a, err := s.Attempts().Get(ctx, runs[0].ID, "start", "0", 0)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := flowcmd.Run(ctx, def, []string{"dump", "--json", "latest/start/0", "Seen"}, &out, &errb, getenv); code != 0 {
		t.Fatalf("dump: exit %d\n%s", code, errb.String())
	}
	var seen []string
	if err := json.Unmarshal([]byte(out.String()), &seen); err != nil {
		t.Fatalf("dump: %v\n%s", err, out.String())
	}
	if len(seen) != 3 || !strings.HasPrefix(seen[0], "error: get live card") || seen[1] != "epoch 1" || seen[2] != "epoch 1" {
		t.Errorf("the live card as the step saw it: %q; want none, then epoch 1, and epoch 1 still (the second refresh came within a second)", seen)
	}
	if _, _, err := s.Attempts().LiveCard(ctx, runs[0].ID, "start", "0", 0); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("the live card is still there after the attempt ended: %v", err)
	}
	data, err := s.Blobs().Get(ctx, a.Card)
	if err != nil || !strings.Contains(string(data), `"epoch 2"`) {
		t.Errorf("the attempt's card = %s, %v; want the final card (epoch 2)", data, err)
	}
}
