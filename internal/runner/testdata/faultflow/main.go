// Command faultflow is a test flow whose steps fail on demand: flaky fails
// its first attempts, risky panics, exits, hangs or errors (and is caught),
// fragile fails the run. Work sleeps per item so tests can interrupt a run,
// and fails the first attempt of item work-fail.
package main

import (
	"errors"
	"os"
	"time"

	"github.com/stepflow/stepflow"
)

// FaultFlow is the state.
type FaultFlow struct {
	N        int           // parameter: foreach width
	Sleep    time.Duration // parameter: time each work task takes
	FailTill int           // parameter: flaky fails while attempt < FailTill
	Risky    string        // parameter: ok, panic, exit, hang or fail
	Fragile  string        // parameter: ok or fail
	WorkFail int           // parameter: the item whose work fails its first attempt (0: none)

	Items   []int
	Square  int
	Total   int
	Attempt int
	Caught  stepflow.Failure
	Done    bool
}

func (f *FaultFlow) Start(c *stepflow.Context) error {
	for i := 1; i <= f.N; i++ {
		f.Items = append(f.Items, i)
	}
	return nil
}

func (f *FaultFlow) Work(c *stepflow.Context) error {
	time.Sleep(f.Sleep)
	x := stepflow.Item[int](c)
	if x == f.WorkFail && c.Attempt() == 0 {
		return errors.New("work failure")
	}
	f.Square = x * x
	return nil
}

func (f *FaultFlow) Join(c *stepflow.Context, in []*FaultFlow) error {
	f.Total = 0
	for _, s := range in {
		f.Total += s.Square
	}
	return nil
}

func (f *FaultFlow) Flaky(c *stepflow.Context) error {
	f.Attempt = c.Attempt()
	c.Printf("flaky attempt %d at %s\n", c.Attempt(), time.Now().Format(time.RFC3339Nano))
	if c.Attempt() < f.FailTill {
		return errors.New("flaky failure")
	}
	return nil
}

func (f *FaultFlow) RiskyStep(c *stepflow.Context) error {
	switch f.Risky {
	case "panic":
		var m map[string]int
		m["boom"]++
	case "exit":
		os.Exit(3)
	case "hang":
		time.Sleep(time.Hour)
	case "fail":
		return errors.New("risky failure")
	}
	return nil
}

func (f *FaultFlow) FragileStep(c *stepflow.Context) error {
	if f.Fragile == "fail" {
		return errors.New("fragile failure")
	}
	return nil
}

func (f *FaultFlow) End(c *stepflow.Context) error {
	f.Done = true
	return nil
}

func main() {
	stepflow.Main(stepflow.New[FaultFlow]("FaultFlow").
		Param("n", 4, "foreach width").
		Param("sleep", time.Duration(0), "time each work task takes").
		Param("fail-till", 0, "flaky fails while its attempt is below this").
		Param("risky", "ok", "ok, panic, exit, hang or fail").
		Param("fragile", "ok", "ok or fail").
		Param("work-fail", 0, "the item whose work fails its first attempt (0: none)").
		Step("start", (*FaultFlow).Start, stepflow.Foreach("Items", "work")).
		Step("work", (*FaultFlow).Work, stepflow.Next("join")).
		Join("join", (*FaultFlow).Join, stepflow.Next("flaky"), stepflow.Drop("Square")).
		Step("flaky", (*FaultFlow).Flaky, stepflow.Next("risky"),
			stepflow.Retry(3, 200*time.Millisecond).WithBackoff(2)).
		Step("risky", (*FaultFlow).RiskyStep, stepflow.Next("fragile"),
			stepflow.Catch("Caught"), stepflow.Timeout(time.Second)).
		Step("fragile", (*FaultFlow).FragileStep, stepflow.Next("end")).
		Step("end", (*FaultFlow).End))
}
