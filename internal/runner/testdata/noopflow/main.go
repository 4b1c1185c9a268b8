// Command noopflow measures the runtime's per-task overhead: a foreach of
// N tasks that do nothing. Its join has an Env option, so that a run with
// --in-process still runs the join in a child process (and so passes it
// its inputs through the task contract); JoinPID and EndPID record which
// process ran each.
package main

import (
	"os"

	"github.com/stepflow/stepflow"
)

// NoopFlow is the state.
type NoopFlow struct {
	N     int
	Items []int
	Count int

	JoinPID, EndPID int
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
	f.JoinPID = os.Getpid()
	return nil
}

func (f *NoopFlow) End(c *stepflow.Context) error {
	f.EndPID = os.Getpid()
	return nil
}

func main() {
	stepflow.Main(stepflow.New[NoopFlow]("NoopFlow").
		Param("n", 1000, "foreach width").
		Step("start", (*NoopFlow).Start, stepflow.Foreach("Items", "noop")).
		Step("noop", (*NoopFlow).Noop, stepflow.Next("join")).
		Join("join", (*NoopFlow).Join, stepflow.Next("end"), stepflow.Env{"NOOPFLOW_STEP": "join"}).
		Step("end", (*NoopFlow).End))
}
