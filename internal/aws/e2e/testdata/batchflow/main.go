// Command batchflow is a test flow of run --with batch whose foreach body
// and heavy step run on AWS Batch (stepflow.OnBatch) and the rest on the
// machine of the run. Work fails the first attempt of item work-fail (and
// is retried); prep, a local step, reads BATCHFLOW_FAIL from the run's
// environment, and heavy, on Batch, fails when it was set: a resume from
// prep without it succeeds. Heavy prints a line, then sleeps for sleep.
package main

import (
	"errors"
	"os"
	"time"

	"github.com/stepflow/stepflow"
)

// BatchFlow is the state.
type BatchFlow struct {
	N        int           // parameter: foreach width
	WorkFail int           // parameter: the item whose work fails its first attempt (0: none)
	Sleep    time.Duration // parameter: how long heavy sleeps

	Items  []int
	Square int
	Total  int
	Fail   bool
	Heavy  int
	Done   bool
}

func (f *BatchFlow) Start(c *stepflow.Context) error {
	for i := 1; i <= f.N; i++ {
		f.Items = append(f.Items, i)
	}
	return nil
}

func (f *BatchFlow) Work(c *stepflow.Context) error {
	x := stepflow.Item[int](c)
	c.Printf("work on item %d, attempt %d\n", x, c.Attempt())
	if x == f.WorkFail && c.Attempt() == 0 {
		return errors.New("work failure")
	}
	f.Square = x * x
	return nil
}

func (f *BatchFlow) Join(c *stepflow.Context, in []*BatchFlow) error {
	f.Total = 0
	for _, s := range in {
		f.Total += s.Square
	}
	return nil
}

func (f *BatchFlow) Prep(c *stepflow.Context) error {
	f.Fail = os.Getenv("BATCHFLOW_FAIL") != ""
	return nil
}

func (f *BatchFlow) HeavyStep(c *stepflow.Context) error {
	c.Printf("heavy starts\n")
	time.Sleep(f.Sleep)
	if f.Fail {
		return errors.New("heavy failure")
	}
	f.Heavy = 2 * f.Total
	return nil
}

func (f *BatchFlow) End(c *stepflow.Context) error {
	f.Done = true
	return nil
}

func main() {
	stepflow.Main(stepflow.New[BatchFlow]("BatchFlow").
		Param("n", 3, "foreach width").
		Param("work-fail", 0, "the item whose work fails its first attempt (0: none)").
		Param("sleep", time.Duration(0), "how long heavy sleeps").
		Step("start", (*BatchFlow).Start, stepflow.Foreach("Items", "work")).
		Step("work", (*BatchFlow).Work, stepflow.Next("join"), stepflow.OnBatch(), stepflow.Retry(1, 0)).
		Join("join", (*BatchFlow).Join, stepflow.Next("prep"), stepflow.Drop("Square")).
		Step("prep", (*BatchFlow).Prep, stepflow.Next("heavy")).
		Step("heavy", (*BatchFlow).HeavyStep, stepflow.Next("end"), stepflow.OnBatch()).
		Step("end", (*BatchFlow).End))
}
