// Command spinflow is the flow of the spin tests. Its steps' code depends
// on factor, set at build time (-ldflags=-X main.factor=10): two builds
// are the same flow before and after a change of the steps' code.
package main

import (
	"fmt"
	"strconv"

	"github.com/stepflow/stepflow"
)

// factor is what measure multiplies each length by, and join the total.
var factor = "1"

// SpinFlow measures words in a foreach and sums them in a join.
type SpinFlow struct {
	Scale   int
	Words   []string
	Length  int
	Lengths []int
	Total   int
}

func mult() int {
	if factor == "fail" {
		return 1
	}
	n, err := strconv.Atoi(factor)
	if err != nil {
		panic(err)
	}
	return n
}

// Start lists the words.
func (f *SpinFlow) Start(c *stepflow.Context) error {
	f.Words = []string{"a", "bb", "ccc"}
	return nil
}

// Measure measures one word; word "fail" fails it.
func (f *SpinFlow) Measure(c *stepflow.Context) error {
	w := stepflow.Item[string](c)
	f.Length = len(w) * mult() * f.Scale
	c.Printf("measured %s\n", w)
	if factor == "fail" {
		return fmt.Errorf("measure of %s failed", w)
	}
	return nil
}

// Join sums the lengths.
func (f *SpinFlow) Join(c *stepflow.Context, in []*SpinFlow) error {
	f.Lengths, f.Total = nil, 0
	for _, t := range in {
		f.Lengths = append(f.Lengths, t.Length)
		f.Total += t.Length
	}
	f.Total *= mult()
	return nil
}

// End does nothing.
func (f *SpinFlow) End(c *stepflow.Context) error { return nil }

func main() {
	stepflow.Main(stepflow.New[SpinFlow]("SpinFlow").
		Param("scale", 1, "multiplies every length").
		Step("start", (*SpinFlow).Start, stepflow.Foreach("Words", "measure")).
		Step("measure", (*SpinFlow).Measure, stepflow.Next("join")).
		Join("join", (*SpinFlow).Join, stepflow.Next("end"), stepflow.Drop("Length")).
		Step("end", (*SpinFlow).End))
}
