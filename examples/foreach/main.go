// Command foreach runs one task per word and joins their results in
// order. It is also the scheduled example: deployed, it runs every night
// at 03:00, Paris time.
//
//	go run ./examples/foreach run
//
// Final artifacts: Words=["alpha" "beta" "gamma"], Lengths=[5 4 5],
// Total=14, Joined="ALPHA BETA GAMMA", Summary="3 words, 14 letters: ALPHA BETA GAMMA".
package main

import (
	"fmt"
	"strings"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/card"
)

// ForeachFlow measures words in parallel.
type ForeachFlow struct {
	Words   []string
	Word    string // set in each measure task
	Length  int    // set in each measure task
	Upper   string // set in each measure task
	Lengths []int
	Total   int
	Joined  string
	Summary string
}

// Start lists the words; the foreach runs measure once per word.
func (f *ForeachFlow) Start(c *stepflow.Context) error {
	f.Words = []string{"alpha", "beta", "gamma"}
	return nil
}

// Measure handles one word.
func (f *ForeachFlow) Measure(c *stepflow.Context) error {
	f.Word = stepflow.Item[string](c)
	f.Length = len(f.Word)
	f.Upper = strings.ToUpper(f.Word)
	c.Printf("word %d: %s\n", c.Index(), f.Word)
	return nil
}

// Join collects the words' results in index order. What every measure
// task shares (Words) is already set; the per-word fields (Word, Length,
// Upper) differ between the inputs, so the join declares them dropped
// (stepflow.Drop below) once it has collected them. It reads no in[0]: a
// foreach over an empty slice gives a join no inputs.
func (f *ForeachFlow) Join(c *stepflow.Context, in []*ForeachFlow) error {
	var uppers []string
	f.Lengths, f.Total = nil, 0
	for _, t := range in {
		f.Lengths = append(f.Lengths, t.Length)
		f.Total += t.Length
		uppers = append(uppers, t.Upper)
	}
	f.Joined = strings.Join(uppers, " ")
	return nil
}

// End summarizes, and reports on the task's card (see it with
// `stepflow card view ForeachFlow/latest/end/0 -o card.html`, or in
// `stepflow ui`).
func (f *ForeachFlow) End(c *stepflow.Context) error {
	f.Summary = fmt.Sprintf("%d words, %d letters: %s", len(f.Words), f.Total, f.Joined)
	c.Printf("%s\n", f.Summary)

	k := c.Card()
	k.Markdown("## " + f.Summary + "\n\nOne `measure` task per word, joined in order.")
	type row struct {
		Word    string
		Letters int
	}
	rows := make([]row, len(f.Words))
	letters := make([]float64, len(f.Words))
	for i, w := range f.Words {
		rows[i] = row{w, f.Lengths[i]}
		letters[i] = float64(f.Lengths[i])
	}
	if err := k.Table(rows); err != nil {
		return err
	}
	return k.Chart(card.Chart{Kind: card.Bar, Title: "Letters per word", Categories: f.Words,
		Series: []card.Series{{Name: "letters", Y: letters}}})
}

// newFlow declares the flow: main runs it, main_test.go tests it.
func newFlow() *stepflow.Flow[ForeachFlow] {
	return stepflow.New[ForeachFlow]("ForeachFlow").
		Step("start", (*ForeachFlow).Start, stepflow.Foreach("Words", "measure")).
		Step("measure", (*ForeachFlow).Measure, stepflow.Next("join")).
		Join("join", (*ForeachFlow).Join, stepflow.Next("end"), stepflow.Drop("Word", "Length", "Upper")).
		Step("end", (*ForeachFlow).End).
		Schedule("0 3 * * *", "Europe/Paris").
		Project("examples").
		Tags("example", "foreach")
}

func main() { stepflow.Main(newFlow()) }
