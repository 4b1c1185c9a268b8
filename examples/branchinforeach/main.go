// Command branchinforeach puts a static branch inside a foreach: for each
// number, one branch doubles it and the other squares it (and keeps its
// powers, a Lazy value); the inner join adds the two and writes a line of
// report to a file of its own, the outer join collects the scores and
// joins the reports into one File.
//
//	go run ./examples/branchinforeach run
//
// Final artifacts: Items=[1 2 3], Scores=[3 8 15], Total=26,
// PowerSum=56 (1+1+1 + 2+4+8 + 3+9+27), Report (a file of three lines,
// "1: double 2 + square 1 = 3" ...), Summary="scores [3 8 15], total 26,
// powers 56, report of 3 lines".
package main

import (
	"bufio"
	"fmt"
	"io"

	"github.com/stepflow/stepflow"
)

// BranchInForeachFlow scores numbers with two parallel branches each.
type BranchInForeachFlow struct {
	Items  []int
	N      int // the item of one foreach task
	Double int
	Square int
	Score  int // Double + Square
	// Powers is N, N², N³, set by square: a Lazy value, read only by the
	// step that calls Get (join_items), passed on unread by the others.
	Powers stepflow.Lazy[[]float64]
	// Report is a file: one line per item written by join_branches, all
	// the lines in item order by join_items.
	Report   stepflow.File
	Scores   []int
	Total    int
	PowerSum float64
	Summary  string
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

// SquareStep squares it, and keeps its first three powers.
func (f *BranchInForeachFlow) SquareStep(c *stepflow.Context) error {
	f.Square = f.N * f.N
	n := float64(f.N)
	f.Powers.Set([]float64{n, n * n, n * n * n})
	return nil
}

// JoinBranches adds the two branches' results. A static branch always has
// its two inputs, in Branch order; Items and N, which both share, are
// already set.
// The line of report goes to a file in the task's scratch directory, as
// every item's task writes one at the same time.
func (f *BranchInForeachFlow) JoinBranches(c *stepflow.Context, in []*BranchInForeachFlow) error {
	f.Double, f.Square = in[0].Double, in[1].Square
	f.Score = f.Double + f.Square
	f.Powers = in[1].Powers
	out, err := c.TempFile("report-*.txt")
	if err != nil {
		return err
	}
	defer out.Close()
	if _, err := fmt.Fprintf(out, "%d: double %d + square %d = %d\n", f.N, f.Double, f.Square, f.Score); err != nil {
		return err
	}
	f.Report.SetPath(out.Name()) // stored when the step ends, then removed
	return out.Close()
}

// JoinItems collects the scores, the powers and the reports in item
// order; it drops the other per-item fields, and reads no in[0] (an empty
// Items gives it no inputs).
func (f *BranchInForeachFlow) JoinItems(c *stepflow.Context, in []*BranchInForeachFlow) error {
	f.Scores, f.Total, f.PowerSum = nil, 0, 0
	out, err := c.TempFile("report-*.txt")
	if err != nil {
		return err
	}
	defer out.Close()
	for _, t := range in {
		f.Scores = append(f.Scores, t.Score)
		f.Total += t.Score
		powers, err := t.Powers.Get()
		if err != nil {
			return err
		}
		for _, p := range powers {
			f.PowerSum += p
		}
		r, err := t.Report.Open()
		if err != nil {
			return err
		}
		_, err = io.Copy(out, r)
		r.Close()
		if err != nil {
			return err
		}
	}
	f.Report.SetPath(out.Name())
	return out.Close()
}

// End summarizes, reading the report back.
func (f *BranchInForeachFlow) End(c *stepflow.Context) error {
	r, err := f.Report.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	lines := 0
	for sc := bufio.NewScanner(r); sc.Scan(); {
		c.Printf("%s\n", sc.Text())
		lines++
	}
	f.Summary = fmt.Sprintf("scores %v, total %d, powers %g, report of %d lines", f.Scores, f.Total, f.PowerSum, lines)
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
			stepflow.Drop("N", "Double", "Square", "Score", "Powers")).
		Step("end", (*BranchInForeachFlow).End)
}

func main() { stepflow.Main(newFlow()) }
