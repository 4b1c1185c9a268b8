// Command noopflow measures the runtime's per-task overhead: a foreach of
// N tasks that do nothing.
package main

import "github.com/stepflow/stepflow"

// NoopFlow is the state.
type NoopFlow struct {
	N     int
	Items []int
	Count int
}

func (f *NoopFlow) Start(c *stepflow.Context) error {
	f.Items = make([]int, f.N)
	for i := range f.Items {
		f.Items[i] = i
	}
	return nil
}

func (f *NoopFlow) Noop(c *stepflow.Context) error { return nil }

func (f *NoopFlow) Join(c *stepflow.Context, in []*NoopFlow) error {
	f.Count = len(in)
	return nil
}

func (f *NoopFlow) End(c *stepflow.Context) error { return nil }

func main() {
	stepflow.Main(stepflow.New[NoopFlow]("NoopFlow").
		Param("n", 1000, "foreach width").
		Step("start", (*NoopFlow).Start, stepflow.Foreach("Items", "noop")).
		Step("noop", (*NoopFlow).Noop, stepflow.Next("join")).
		Join("join", (*NoopFlow).Join, stepflow.Next("end")).
		Step("end", (*NoopFlow).End))
}
