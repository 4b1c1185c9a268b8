// Command smokeflow is the flow scripts/aws-smoke.sh fails on purpose and
// resumes: its flaky step fails on its first attempt and has no retry, so
// the run fails; a redrive runs the step again as a later attempt, which
// succeeds, and the run ends with Result "fixed on attempt N".
package main

import (
	"errors"
	"fmt"

	"github.com/stepflow/stepflow"
)

// SmokeFlow is the state.
type SmokeFlow struct {
	Result string
}

func (f *SmokeFlow) Start(c *stepflow.Context) error { return nil }

// Flaky fails on the first attempt of the task, and only then.
func (f *SmokeFlow) Flaky(c *stepflow.Context) error {
	if c.Attempt() == 0 {
		return errors.New("failing on purpose: resume the run to fix it")
	}
	f.Result = fmt.Sprintf("fixed on attempt %d", c.Attempt())
	return nil
}

func (f *SmokeFlow) End(c *stepflow.Context) error { return nil }

func main() {
	stepflow.Main(stepflow.New[SmokeFlow]("SmokeFlow").
		Step("start", (*SmokeFlow).Start, stepflow.Next("flaky")).
		Step("flaky", (*SmokeFlow).Flaky, stepflow.Next("end")).
		Step("end", (*SmokeFlow).End))
}
