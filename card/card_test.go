package card_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/card"
)

const xss = `<script>alert("x")</script>`

type score struct {
	Shard string
	Score float64
	note  string
}

// full returns a card with one element of every kind.
func full(t *testing.T) *card.Card {
	t.Helper()
	c := &card.Card{}
	c.Markdown("# Report\n\nThe **best** shard is `eu`. " + xss + "\n\n- one\n- two [docs](https://example.com/d) [bad](javascript:alert(1))\n\n| a | b |\n|---|--:|\n| 1 | " + xss + " |\n")
	if err := c.Table([]score{{"eu", 0.9, ""}, {"us" + xss, 0.5, ""}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Table([][]any{{1, "x"}, {2, "y"}}, "n", "name"); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var data bytes.Buffer
	if err := png.Encode(&data, img); err != nil {
		t.Fatal(err)
	}
	if err := c.Image(data.Bytes(), "a red dot"); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []card.Chart{
		{Kind: card.Line, Title: "loss " + xss, XLabel: "epoch", YLabel: "loss", Series: []card.Series{{Name: "train", Y: []float64{3, 2, 1.5, math.NaN()}}, {Name: "val", X: []float64{0, 1, 2}, Y: []float64{3.2, 2.5, 2}}}},
		{Kind: card.Scatter, Title: "fit", Series: []card.Series{{X: []float64{1, 2, 3}, Y: []float64{2, 4, 5}}}},
		{Kind: card.Bar, Title: "score", Categories: []string{"eu", "us"}, Series: []card.Series{{Name: "score", Y: []float64{0.9, -0.5}}}},
		{Kind: card.Histogram, Title: "dist", Bins: 4, Series: []card.Series{{Y: []float64{1, 1, 2, 3, 4, 4, 4}}}},
	} {
		if err := c.Chart(ch); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestRoundTrip(t *testing.T) {
	c := full(t)
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back card.Card
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if got, want := len(back.Elements()), 8; got != want {
		t.Fatalf("%d elements after the round trip, want %d", got, want)
	}
	els := back.Elements()
	if tb := els[1].Table; tb == nil || strings.Join(tb.Columns, ",") != "Shard,Score" || tb.Rows[1][0] != "us"+xss || tb.Rows[0][1] != "0.9" {
		t.Errorf("struct table: %+v", tb)
	}
	if im := els[3].Image; im == nil || im.Width != 3 || im.Height != 2 || !bytes.HasPrefix(im.PNG, []byte("\x89PNG")) {
		t.Errorf("image: %+v", im)
	}
	if ch := els[4].Chart; ch == nil || len(ch.Series[0].Y) != 3 {
		t.Errorf("the NaN point of the line chart should be left out: %+v", ch)
	}
	again, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("the card's JSON changes after a round trip:\n%s\n%s", data, again)
	}
}

func TestBadInput(t *testing.T) {
	c := &card.Card{}
	for name, err := range map[string]error{
		"table of ints":  c.Table(42),
		"no fields":      c.Table([]struct{ x int }{{1}}),
		"column count":   c.Table([]score{{}}, "a"),
		"not a png":      c.Image([]byte("GIF89a"), ""),
		"cut png":        c.Image([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), ""),
		"kind":           c.Chart(card.Chart{Kind: "pie", Series: []card.Series{{Y: []float64{1}}}}),
		"no series":      c.Chart(card.Chart{Kind: card.Line}),
		"x and y":        c.Chart(card.Chart{Kind: card.Line, Series: []card.Series{{X: []float64{1}, Y: []float64{1, 2}}}}),
		"bar categories": c.Chart(card.Chart{Kind: card.Bar, Categories: []string{"a"}, Series: []card.Series{{Y: []float64{1, 2}}}}),
		"histogram bins": c.Chart(card.Chart{Kind: card.Histogram, Bins: -1, Series: []card.Series{{Y: []float64{1}}}}),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if !c.Empty() {
		t.Errorf("bad input added elements: %+v", c.Elements())
	}
	var big []int
	for i := range card.MaxTableRows + 5 {
		big = append(big, i)
	}
	rows := make([][]int, len(big))
	for i, v := range big {
		rows[i] = []int{v}
	}
	if err := c.Table(rows); err != nil {
		t.Fatal(err)
	}
	if tb := c.Elements()[0].Table; len(tb.Rows) != card.MaxTableRows || tb.Total != card.MaxTableRows+5 {
		t.Errorf("a long table keeps %d rows of %d", len(tb.Rows), tb.Total)
	}
	if err := json.Unmarshal([]byte(`{"version":99,"elements":[]}`), &card.Card{}); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("unknown version: %v", err)
	}
}

// Normalized is the chart as stored and drawn: finite values only, a
// bar's missing values 0, and X filled in for a line without it.
func TestNormalized(t *testing.T) {
	line := &card.Chart{Kind: card.Line, Series: []card.Series{{Y: []float64{1, math.Inf(1), 3}}}}
	n := line.Normalized()
	if s := n.Series[0]; !slices.Equal(s.X, []float64{0, 2}) || !slices.Equal(s.Y, []float64{1, 3}) {
		t.Errorf("line: X %v, Y %v; want X [0 2], Y [1 3]", s.X, s.Y)
	}
	if !math.IsInf(line.Series[0].Y[1], 1) {
		t.Error("Normalized changed the chart it was called on")
	}
	bar := &card.Chart{Kind: card.Bar, Categories: []string{"a", "b"}, Series: []card.Series{{Y: []float64{math.NaN(), 2}}}}
	if y := bar.Normalized().Series[0].Y; !slices.Equal(y, []float64{0, 2}) {
		t.Errorf("bar: Y %v, want [0 2]", y)
	}
}
