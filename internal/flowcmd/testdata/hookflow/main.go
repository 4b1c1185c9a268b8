// Command hookflow is the flow of the exit hook tests. HOOKFLOW_FAIL
// names where a run goes wrong: a step (start, measure for its item 1,
// join, end), "hook" (the hook returns an error) or "hookpanic".
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/stepflow/stepflow"
)

// HookFlow measures words.
type HookFlow struct {
	Words  []string
	Length int
	Total  int
}

func failAt(where string) error {
	if os.Getenv("HOOKFLOW_FAIL") == where {
		return fmt.Errorf("planted failure in %s", where)
	}
	return nil
}

// Start lists the words.
func (f *HookFlow) Start(c *stepflow.Context) error {
	f.Words = []string{"a", "bb", "ccc"}
	return failAt("start")
}

// Measure measures one word.
func (f *HookFlow) Measure(c *stepflow.Context) error {
	f.Length = len(stepflow.Item[string](c))
	if c.Index() == 1 {
		return failAt("measure")
	}
	return nil
}

// Join sums the lengths.
func (f *HookFlow) Join(c *stepflow.Context, in []*HookFlow) error {
	for _, t := range in {
		f.Total += t.Length
	}
	return failAt("join")
}

// End ends.
func (f *HookFlow) End(c *stepflow.Context) error { return failAt("end") }

// onFinish reports the outcome, and the total when the run got that far.
func onFinish(c *stepflow.Context, run *stepflow.Finished[HookFlow]) error {
	c.Printf("hook: run %s %s\n", run.RunID(), run.Status())
	if !run.Succeeded() {
		c.Printf("hook: error: %s\n", run.Error())
	}
	if start, err := run.Task("start", "0"); err == nil {
		c.Printf("hook: %d words\n", len(start.Words))
	}
	if end, err := run.End(); err == nil {
		c.Printf("hook: total %d\n", end.Total)
	} else {
		c.Printf("hook: no end: %v\n", err)
	}
	switch os.Getenv("HOOKFLOW_FAIL") {
	case "hook":
		return errors.New("planted failure in the hook")
	case "hookpanic":
		panic("planted panic in the hook")
	}
	return nil
}

func main() {
	stepflow.Main(stepflow.New[HookFlow]("HookFlow").
		Step("start", (*HookFlow).Start, stepflow.Foreach("Words", "measure")).
		Step("measure", (*HookFlow).Measure, stepflow.Next("join")).
		Join("join", (*HookFlow).Join, stepflow.Next("end"), stepflow.Drop("Length")).
		Step("end", (*HookFlow).End).
		OnFinish(onFinish))
}
