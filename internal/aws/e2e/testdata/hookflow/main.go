// Command hookflow is the flow of the exit hook's end-to-end test: a
// foreach over two words with an exit hook. Its parameter fail names
// where a run goes wrong: "measure" (the foreach body's item 1 fails) or
// "hook" (the run succeeds, the hook returns an error).
package main

import (
	"errors"
	"fmt"

	"github.com/stepflow/stepflow"
)

// HookFlow measures words.
type HookFlow struct {
	Fail   string
	Words  []string
	Length int
	Total  int
}

// Start lists the words.
func (f *HookFlow) Start(c *stepflow.Context) error {
	f.Words = []string{"a", "bb"}
	return nil
}

// Measure measures one word.
func (f *HookFlow) Measure(c *stepflow.Context) error {
	f.Length = len(stepflow.Item[string](c))
	if c.Index() == 1 && f.Fail == "measure" {
		return fmt.Errorf("planted failure in measure")
	}
	return nil
}

// Join sums the lengths.
func (f *HookFlow) Join(c *stepflow.Context, in []*HookFlow) error {
	for _, t := range in {
		f.Total += t.Length
	}
	return nil
}

// End ends.
func (f *HookFlow) End(c *stepflow.Context) error { return nil }

// onFinish reports the outcome and what the run stored.
func onFinish(c *stepflow.Context, run *stepflow.Finished[HookFlow]) error {
	c.Printf("hook: run %s %s\n", run.RunID(), run.Status())
	if !run.Succeeded() {
		c.Printf("hook: error: %s\n", run.Error())
	}
	start, err := run.Task("start", "0")
	if err != nil {
		return err
	}
	c.Printf("hook: %d words\n", len(start.Words))
	if end, err := run.End(); err == nil {
		c.Printf("hook: total %d\n", end.Total)
	}
	if start.Fail == "hook" {
		return errors.New("planted failure in the hook")
	}
	return nil
}

func main() {
	stepflow.Main(stepflow.New[HookFlow]("HookFlow").
		Param("fail", "", "where the run goes wrong: measure or hook").
		Step("start", (*HookFlow).Start, stepflow.Foreach("Words", "measure")).
		Step("measure", (*HookFlow).Measure, stepflow.Next("join")).
		Join("join", (*HookFlow).Join, stepflow.Next("end"), stepflow.Drop("Length")).
		Step("end", (*HookFlow).End).
		OnFinish(onFinish))
}
