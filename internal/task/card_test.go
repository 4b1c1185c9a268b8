package task_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/cardhtml"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/task"
)

type cardState struct{ Scores []float64 }

type row struct {
	Shard string
	Score float64
}

// A card a step fills is stored with its attempt (a failed one too), read
// back through the public client and rendered with every element.
func TestCardRoundTrip(t *testing.T) {
	const xss = `<script>alert(1)</script>`
	f := flow.MustDefinitionOf(stepflow.New[cardState]("CardFlow").
		Step("start", func(s *cardState, c *stepflow.Context) error {
			s.Scores = []float64{0.2, 0.5, 0.9}
			k := c.Card()
			k.Markdown("# Scores\n" + xss)
			if err := k.Table([]row{{"eu", 0.9}, {xss, 0.2}}); err != nil {
				return err
			}
			var img bytes.Buffer
			if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
				return err
			}
			if err := k.Image(img.Bytes(), "blank"); err != nil {
				return err
			}
			for _, kind := range []card.ChartKind{card.Line, card.Scatter, card.Histogram} {
				if err := k.Chart(card.Chart{Kind: kind, Title: string(kind), Series: []card.Series{{Y: s.Scores}}}); err != nil {
					return err
				}
			}
			return k.Chart(card.Chart{Kind: card.Bar, Categories: []string{"a", "b", "c"}, Series: []card.Series{{Y: s.Scores}}})
		}, stepflow.Next("end")).
		Step("end", func(s *cardState, c *stepflow.Context) error {
			c.Card().Markdown("about to fail")
			return errors.New("boom")
		}))
	ex, root := localExecutor(t, f, "r1")
	ctx := context.Background()
	rec, err := ex.Run(ctx, task.Spec{RunID: "r1", Step: "start"})
	if err != nil || rec.Status != datastore.StatusSucceeded || rec.Card == "" {
		t.Fatalf("start: %+v %v", rec, err)
	}
	rec, err = ex.Run(ctx, task.Spec{RunID: "r1", Step: "end"})
	if err != nil || rec.Status != datastore.StatusFailed || rec.Card == "" {
		t.Fatalf("end: the failed attempt should keep its card: %+v %v", rec, err)
	}

	c, err := client.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.Flow("CardFlow").Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := run.Task(ctx, "start", "0")
	if err != nil {
		t.Fatal(err)
	}
	if !st.HasCard() {
		t.Fatal("the client does not see the card")
	}
	k, err := st.Card(ctx)
	if err != nil {
		t.Fatal(err)
	}
	els := k.Elements()
	if len(els) != 7 || els[0].Markdown == "" || els[1].Table == nil || els[2].Image == nil || els[6].Chart == nil {
		t.Fatalf("elements: %+v", els)
	}
	var h bytes.Buffer
	if err := cardhtml.Write(&h, k, st.Pathspec()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h1>Scores</h1>", "<td>eu</td>", "data:image/png;base64,", "<polyline", "<circle", "<rect", "&lt;script&gt;"} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("the rendered card lacks %q", want)
		}
	}
	if strings.Contains(h.String(), "<script") {
		t.Error("a <script> in the card's values renders as markup")
	}
	end, err := run.Task(ctx, "end", "0")
	if err != nil {
		t.Fatal(err)
	}
	if k, err := end.Card(ctx); err != nil || k.Elements()[0].Markdown != "about to fail" {
		t.Errorf("the failed attempt's card: %v %v", k, err)
	}

}
