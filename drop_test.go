package stepflow_test

import (
	"fmt"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

// dropFlow: start sets Word to "before"; a foreach over N items sets Word
// and Same (the same in every task); the join drops both.
type dropFlow struct {
	Items []int
	Word  string
	Same  string
	Count int
}

func newDropFlow() *stepflow.Flow[dropFlow] {
	return stepflow.New[dropFlow]("DropFlow").
		Param("items", []int{}, "the items").
		Step("start", func(f *dropFlow, c *stepflow.Context) error { f.Word = "before"; return nil }, stepflow.Foreach("Items", "each")).
		Step("each", func(f *dropFlow, c *stepflow.Context) error {
			f.Word = fmt.Sprint(stepflow.Item[int](c))
			f.Same = "same"
			return nil
		}, stepflow.Next("join")).
		Join("join", func(f *dropFlow, c *stepflow.Context, in []*dropFlow) error {
			f.Count = len(in)
			return nil
		}, stepflow.Next("end"), stepflow.Drop("Word", "Same")).
		Step("end", func(f *dropFlow, c *stepflow.Context) error { return nil })
}

// TestDropAnyNumberOfInputs: a dropped field is zero after the join with
// no input, one input, inputs that agree on it and inputs that do not.
func TestDropAnyNumberOfInputs(t *testing.T) {
	for _, items := range []string{"[]", "[7]", "[7,7]", "[1,2,3]"} {
		end := stepflowtest.Run(t, newDropFlow(), stepflowtest.Params{"items": items}).End()
		if end.Word != "" || end.Same != "" {
			t.Errorf("items %s: after the join Word=%q Same=%q; want both dropped (empty)", items, end.Word, end.Same)
		}
	}
}
