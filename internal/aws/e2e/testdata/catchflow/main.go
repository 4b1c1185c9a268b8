// Command catchflow is a test flow whose foreach body has a retry and a
// catch: on AWS it runs as AWS Batch array jobs whose jobs record their
// catch themselves (docs/state-machine.md, "Array jobs"). Work fails every
// attempt of the items in fail (and is caught), and the first attempt of
// item flaky (and is retried).
package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow"
)

// CatchFlow is the state.
type CatchFlow struct {
	N     int    // parameter: foreach width
	Fail  string // parameter: items whose work always fails, comma-separated
	Flaky int    // parameter: the item whose work fails its first attempt (0: none)

	Items  []int
	Square int
	Caught stepflow.Failure
	Total  int
	Failed []string // the caught items, "item: error (attempts)"
}

func (f *CatchFlow) Start(c *stepflow.Context) error {
	for i := 1; i <= f.N; i++ {
		f.Items = append(f.Items, i)
	}
	return nil
}

func (f *CatchFlow) Work(c *stepflow.Context) error {
	x := stepflow.Item[int](c)
	for _, s := range strings.Split(f.Fail, ",") {
		if s == strconv.Itoa(x) {
			return fmt.Errorf("item %d fails (attempt %d)", x, c.Attempt())
		}
	}
	if x == f.Flaky && c.Attempt() == 0 {
		return fmt.Errorf("item %d is flaky", x)
	}
	f.Square = x * x
	return nil
}

func (f *CatchFlow) Join(c *stepflow.Context, in []*CatchFlow) error {
	f.Total, f.Failed = 0, nil
	for _, s := range in {
		f.Total += s.Square
		if s.Caught.Error != "" {
			f.Failed = append(f.Failed, fmt.Sprintf("%s (attempts %d)", s.Caught.Error, s.Caught.Attempts))
		}
	}
	sort.Strings(f.Failed)
	return nil
}

func (f *CatchFlow) End(c *stepflow.Context) error { return nil }

func main() {
	stepflow.Main(stepflow.New[CatchFlow]("CatchFlow").
		Param("n", 5, "foreach width").
		Param("fail", "", "items whose work always fails, comma-separated").
		Param("flaky", 0, "the item whose work fails its first attempt (0: none)").
		Step("start", (*CatchFlow).Start, stepflow.Foreach("Items", "work")).
		Step("work", (*CatchFlow).Work, stepflow.Next("join"), stepflow.Retry(1, 0), stepflow.Catch("Caught")).
		Join("join", (*CatchFlow).Join, stepflow.Next("end"), stepflow.Drop("Square", "Caught")).
		Step("end", (*CatchFlow).End))
}
