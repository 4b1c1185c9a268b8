// Command badflow is a flow with many definition mistakes, for the CLI
// tests: check, show and run must report them all and exit with status 2.
package main

import (
	"time"

	"github.com/stepflow/stepflow"
)

// BadFlow is the state.
type BadFlow struct {
	Alpha  float64
	Name   string
	Scores []float64
}

func (f *BadFlow) Start(c *stepflow.Context) error { return nil }
func (f *BadFlow) Train(c *stepflow.Context) error { return nil }
func (f *BadFlow) Join(c *stepflow.Context, in []*BadFlow) error {
	return nil
}
func (f *BadFlow) End(c *stepflow.Context) error { return nil }

func main() {
	stepflow.Main(stepflow.New[BadFlow]("BadFlow").
		Param("alpha", "high", "learning rate").
		Step("start", (*BadFlow).Start, stepflow.Foreach("Name", "train")).
		Step("train", (*BadFlow).Train, stepflow.Next("pick"),
			stepflow.Retry(12, time.Second), stepflow.Env{"STEPFLOW_RUN": "x"}).
		Join("join", (*BadFlow).Join, stepflow.Next("end")).
		Step("end", (*BadFlow).End).
		Schedule("0 3 * * *", "Mars/Olympus_Mons"))
}
