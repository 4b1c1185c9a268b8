// Command shapesflow combines shapes the examples keep apart: a switch
// inside a foreach whose cases meet at the foreach's join, a switch inside
// a branch whose cases meet at the branch's join, and a branch nested in a
// branch.
package main

import (
	"fmt"
	"strings"

	"github.com/stepflow/stepflow"
)

// ShapesFlow is the state.
type ShapesFlow struct {
	Words  []string
	Word   string
	Kind   string
	Out    string
	Outs   []string
	Side   string
	Inner  string
	Report string
}

func (f *ShapesFlow) Start(c *stepflow.Context) error {
	f.Words = []string{"Go", "flow", "AWS", "step"}
	return nil
}

func (f *ShapesFlow) Classify(c *stepflow.Context) error {
	f.Word = stepflow.Item[string](c)
	f.Kind = "lower"
	if strings.ToUpper(f.Word) == f.Word {
		f.Kind = "upper"
	}
	return nil
}

func (f *ShapesFlow) Shout(c *stepflow.Context) error { f.Out = f.Word + "!"; return nil }
func (f *ShapesFlow) Quiet(c *stepflow.Context) error { f.Out = strings.ToLower(f.Word); return nil }

func (f *ShapesFlow) Gather(c *stepflow.Context, in []*ShapesFlow) error {
	for _, s := range in {
		f.Outs = append(f.Outs, s.Out)
	}
	return nil
}

func (f *ShapesFlow) Fork(c *stepflow.Context) error { return nil }

func (f *ShapesFlow) Left(c *stepflow.Context) error {
	f.Side = "left"
	f.Kind = "upper"
	if len(f.Outs)%2 == 0 {
		f.Kind = "lower"
	}
	return nil
}

func (f *ShapesFlow) Up(c *stepflow.Context) error   { f.Side += "-up"; return nil }
func (f *ShapesFlow) Down(c *stepflow.Context) error { f.Side += "-down"; return nil }

func (f *ShapesFlow) Right(c *stepflow.Context) error { return nil }
func (f *ShapesFlow) R1(c *stepflow.Context) error    { f.Inner = "r1"; return nil }
func (f *ShapesFlow) R2(c *stepflow.Context) error    { f.Inner = "r2"; return nil }
func (f *ShapesFlow) RJoin(c *stepflow.Context, in []*ShapesFlow) error {
	f.Inner = in[0].Inner + "+" + in[1].Inner
	f.Side = "right"
	return nil
}

func (f *ShapesFlow) Meet(c *stepflow.Context, in []*ShapesFlow) error {
	f.Report = fmt.Sprintf("%s | %s | %s | %s", strings.Join(in[0].Outs, ","), in[0].Side, in[1].Side, in[1].Inner)
	return nil
}

func (f *ShapesFlow) End(c *stepflow.Context) error { return nil }

func main() {
	stepflow.Main(stepflow.New[ShapesFlow]("ShapesFlow").
		Step("start", (*ShapesFlow).Start, stepflow.Foreach("Words", "classify")).
		Step("classify", (*ShapesFlow).Classify, stepflow.Switch("Kind", stepflow.Cases{"upper": "shout", "lower": "quiet"})).
		Step("shout", (*ShapesFlow).Shout, stepflow.Next("gather")).
		Step("quiet", (*ShapesFlow).Quiet, stepflow.Next("gather")).
		Join("gather", (*ShapesFlow).Gather, stepflow.Next("fork"), stepflow.Drop("Word", "Kind", "Out")).
		Step("fork", (*ShapesFlow).Fork, stepflow.Branch("left", "right")).
		Step("left", (*ShapesFlow).Left, stepflow.Switch("Kind", stepflow.Cases{"upper": "up", "lower": "down"})).
		Step("up", (*ShapesFlow).Up, stepflow.Next("meet")).
		Step("down", (*ShapesFlow).Down, stepflow.Next("meet")).
		Step("right", (*ShapesFlow).Right, stepflow.Branch("r1", "r2")).
		Step("r1", (*ShapesFlow).R1, stepflow.Next("rjoin")).
		Step("r2", (*ShapesFlow).R2, stepflow.Next("rjoin")).
		Join("rjoin", (*ShapesFlow).RJoin, stepflow.Next("meet")).
		Join("meet", (*ShapesFlow).Meet, stepflow.Next("end"), stepflow.Drop("Kind", "Side", "Inner")).
		Step("end", (*ShapesFlow).End))
}
