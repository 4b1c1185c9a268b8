// Command branchinforeach puts a static branch inside a foreach: for each
// number, one branch doubles it and the other squares it; the inner join
// adds the two, the outer join collects the scores.
//
//	go run ./examples/branchinforeach run
//
// Final artifacts: Items=[1 2 3], Scores=[3 8 15], Total=26,
// Summary="scores [3 8 15], total 26".
package main

import (
	"fmt"

	"github.com/stepflow/stepflow"
)

// BranchInForeachFlow scores numbers with two parallel branches each.
type BranchInForeachFlow struct {
	Items   []int
	N       int // the item of one foreach task
	Double  int
	Square  int
	Score   int // Double + Square
	Scores  []int
	Total   int
	Summary string
}

// Start lists the numbers.
func (f *BranchInForeachFlow) Start(c *stepflow.Context) error {
	f.Items = []int{1, 2, 3}
	return nil
}

// Split takes one number and branches.
func (f *BranchInForeachFlow) Split(c *stepflow.Context) error {
	f.N = stepflow.Item[int](c)
	return nil
}

// DoubleStep doubles the number.
func (f *BranchInForeachFlow) DoubleStep(c *stepflow.Context) error {
	f.Double = 2 * f.N
	return nil
}

// SquareStep squares it.
func (f *BranchInForeachFlow) SquareStep(c *stepflow.Context) error {
	f.Square = f.N * f.N
	return nil
}

// JoinBranches adds the two branches' results. A static branch always has
// its two inputs, in Branch order; Items and N, which both share, are
// already set.
func (f *BranchInForeachFlow) JoinBranches(c *stepflow.Context, in []*BranchInForeachFlow) error {
	f.Double, f.Square = in[0].Double, in[1].Square
	f.Score = f.Double + f.Square
	return nil
}

// JoinItems collects the scores in item order; it drops the per-item
// fields, and reads no in[0] (an empty Items gives it no inputs).
func (f *BranchInForeachFlow) JoinItems(c *stepflow.Context, in []*BranchInForeachFlow) error {
	f.Scores, f.Total = nil, 0
	for _, t := range in {
		f.Scores = append(f.Scores, t.Score)
		f.Total += t.Score
	}
	return nil
}

// End summarizes.
func (f *BranchInForeachFlow) End(c *stepflow.Context) error {
	f.Summary = fmt.Sprintf("scores %v, total %d", f.Scores, f.Total)
	c.Printf("%s\n", f.Summary)
	return nil
}

// newFlow declares the flow: main runs it, main_test.go tests it.
func newFlow() *stepflow.Flow[BranchInForeachFlow] {
	return stepflow.New[BranchInForeachFlow]("BranchInForeachFlow").
		Step("start", (*BranchInForeachFlow).Start, stepflow.Foreach("Items", "split")).
		Step("split", (*BranchInForeachFlow).Split, stepflow.Branch("double", "square")).
		Step("double", (*BranchInForeachFlow).DoubleStep, stepflow.Next("join_branches")).
		Step("square", (*BranchInForeachFlow).SquareStep, stepflow.Next("join_branches")).
		Join("join_branches", (*BranchInForeachFlow).JoinBranches, stepflow.Next("join_items")).
		Join("join_items", (*BranchInForeachFlow).JoinItems, stepflow.Next("end"),
			stepflow.Drop("N", "Double", "Square", "Score")).
		Step("end", (*BranchInForeachFlow).End)
}

func main() { stepflow.Main(newFlow()) }
