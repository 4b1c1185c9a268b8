package main

import (
	"reflect"
	"testing"

	"github.com/stepflow/stepflow/stepflowtest"
)

func TestForeachFlow(t *testing.T) {
	res := stepflowtest.Run(t, newFlow())
	end := res.End()
	want := ForeachFlow{Words: []string{"alpha", "beta", "gamma"}, Lengths: []int{5, 4, 5}, Total: 14,
		Joined: "ALPHA BETA GAMMA", Summary: "3 words, 14 letters: ALPHA BETA GAMMA"}
	if !reflect.DeepEqual(end.Words, want.Words) || !reflect.DeepEqual(end.Lengths, want.Lengths) ||
		end.Total != want.Total || end.Joined != want.Joined || end.Summary != want.Summary {
		t.Errorf("end state:\n got %+v\nwant %+v", *end, want)
	}
	measures := res.Tasks("measure")
	if len(measures) != 3 {
		t.Fatalf("%d measure tasks, want 3", len(measures))
	}
	for i, w := range want.Words {
		if m := res.Task("measure", i); m.Word != w || m.Length != len(w) {
			t.Errorf("measure %d: Word=%q Length=%d, want %q %d", i, m.Word, m.Length, w, len(w))
		}
	}
	if got, want := res.Output("measure", 2), "word 2: gamma\n"; got != want {
		t.Errorf("measure 2 printed %q, want %q", got, want)
	}
	// The end step's card: the summary, a table of the words, a chart.
	els := res.Card("end").Elements()
	if len(els) != 3 || els[0].Markdown == "" || els[1].Table == nil || els[2].Chart == nil {
		t.Fatalf("end card: %+v", els)
	}
	if got := els[1].Table.Rows; !reflect.DeepEqual(got, [][]string{{"alpha", "5"}, {"beta", "4"}, {"gamma", "5"}}) {
		t.Errorf("end card table: %v", got)
	}
	if !res.Card("start").Empty() {
		t.Error("start added nothing to its card, yet it has one")
	}
}

// A foreach over an empty slice gives the join no inputs: it must not
// read in[0].
func TestJoinWithoutInputs(t *testing.T) {
	var f ForeachFlow
	if err := f.Join(stepflowtest.Context(t), nil); err != nil || f.Total != 0 || len(f.Lengths) != 0 || f.Joined != "" {
		t.Errorf("Join(no inputs) = %v, state %+v", err, f)
	}
}

// A foreach step is unit-tested with a Context that carries its item and
// index, and a join with inputs made by hand.
func TestMeasure(t *testing.T) {
	var f ForeachFlow
	c := stepflowtest.Context(t, stepflowtest.Item("beta"), stepflowtest.Index(1))
	if err := f.Measure(c); err != nil {
		t.Fatal(err)
	}
	if f.Word != "beta" || f.Length != 4 || f.Upper != "BETA" {
		t.Errorf("Measure(beta) set Word=%q Length=%d Upper=%q", f.Word, f.Length, f.Upper)
	}
}

// Every join sets or drops each artifact its inputs can disagree on.
func TestJoins(t *testing.T) { stepflowtest.CheckJoins(t, newFlow()) }
