// Command branch is a static branch: three steps run in parallel on the
// same numbers and a join combines their results.
//
//	go run ./examples/branch run
//
// Final artifacts: Numbers=[1 2 3 4], Sum=10, SquareSum=30, Label="1-2-3-4",
// Total=40, Report="1-2-3-4: sum=10 squares=30 total=40".
package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow"
)

// BranchFlow sums, squares and labels a list of numbers in parallel.
type BranchFlow struct {
	Numbers   []int
	Sum       int
	SquareSum int
	Label     string
	Total     int
	Report    string
}

// Start chooses the numbers.
func (f *BranchFlow) Start(c *stepflow.Context) error {
	f.Numbers = []int{1, 2, 3, 4}
	return nil
}

// Add sums the numbers.
func (f *BranchFlow) Add(c *stepflow.Context) error {
	for _, n := range f.Numbers {
		f.Sum += n
	}
	return nil
}

// Squares adds their squares.
func (f *BranchFlow) Squares(c *stepflow.Context) error {
	for _, n := range f.Numbers {
		f.SquareSum += n * n
	}
	return nil
}

// Labels writes them as one string.
func (f *BranchFlow) Labels(c *stepflow.Context) error {
	parts := make([]string, len(f.Numbers))
	for i, n := range f.Numbers {
		parts[i] = strconv.Itoa(n)
	}
	f.Label = strings.Join(parts, "-")
	return nil
}

// Join takes each branch's result; in lists the branches in Branch order.
func (f *BranchFlow) Join(c *stepflow.Context, in []*BranchFlow) error {
	f.Numbers = in[0].Numbers
	f.Sum = in[0].Sum
	f.SquareSum = in[1].SquareSum
	f.Label = in[2].Label
	f.Total = f.Sum + f.SquareSum
	return nil
}

// End reports.
func (f *BranchFlow) End(c *stepflow.Context) error {
	f.Report = fmt.Sprintf("%s: sum=%d squares=%d total=%d", f.Label, f.Sum, f.SquareSum, f.Total)
	c.Printf("%s\n", f.Report)
	return nil
}

// newFlow declares the flow: main runs it, main_test.go tests it.
func newFlow() *stepflow.Flow[BranchFlow] {
	return stepflow.New[BranchFlow]("BranchFlow").
		Step("start", (*BranchFlow).Start, stepflow.Branch("sum", "squares", "label")).
		Step("sum", (*BranchFlow).Add, stepflow.Next("join")).
		Step("squares", (*BranchFlow).Squares, stepflow.Next("join")).
		Step("label", (*BranchFlow).Labels, stepflow.Next("join")).
		Join("join", (*BranchFlow).Join, stepflow.Next("end")).
		Step("end", (*BranchFlow).End)
}

func main() { stepflow.Main(newFlow()) }
