// Command nestedforeach nests three foreaches: for every a in Outer, every
// b in Middle and every c in Inner, a leaf task computes a*b*c; three joins
// add the products back up.
//
//	go run ./examples/nestedforeach run
//
// Final artifacts: Outer=[1 2], Middle=[10 20], Inner=[100 200 300],
// Count=12, Total=54000 (= 3*30*600), First="0.0.0", Last="1.1.2",
// Summary="12 leaves, total 54000, 0.0.0..1.1.2".
package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow"
)

// NestedFlow multiplies every combination of three lists.
type NestedFlow struct {
	Outer   []int
	Middle  []int
	Inner   []int
	A       int    // the outer item
	B       int    // the middle item
	C       int    // the inner item
	Path    string // the leaf's index path, e.g. "1.0.2"
	Value   int    // a*b*c in a leaf; the sum below a join
	Count   int    // leaves below a join
	First   string // first leaf path below a join
	Last    string // last leaf path below a join
	Total   int
	Summary string
}

// Start lists the outer items.
func (f *NestedFlow) Start(c *stepflow.Context) error {
	f.Outer = []int{1, 2}
	f.Middle = []int{10, 20}
	f.Inner = []int{100, 200, 300}
	return nil
}

// OuterStep runs once per outer item.
func (f *NestedFlow) OuterStep(c *stepflow.Context) error {
	f.A = stepflow.Item[int](c)
	return nil
}

// MiddleStep runs once per (outer, middle) pair.
func (f *NestedFlow) MiddleStep(c *stepflow.Context) error {
	f.B = stepflow.Item[int](c)
	return nil
}

// Leaf runs once per (outer, middle, inner) triple.
func (f *NestedFlow) Leaf(c *stepflow.Context) error {
	f.C = stepflow.Item[int](c)
	f.Value = f.A * f.B * f.C
	var parts []string
	for _, i := range c.Indices() {
		parts = append(parts, strconv.Itoa(i))
	}
	f.Path = strings.Join(parts, ".")
	f.Count, f.First, f.Last = 1, f.Path, f.Path
	return nil
}

// merge adds up the inputs of a join, in index order. What the inputs
// share (the lists, and the items of the enclosing foreaches) is already
// set. A foreach over an empty list gives a join no inputs: no leaves.
func (f *NestedFlow) merge(in []*NestedFlow) {
	f.Value, f.Count, f.First, f.Last = 0, 0, "", ""
	for _, t := range in {
		f.Value += t.Value
		f.Count += t.Count
	}
	if len(in) > 0 {
		f.First, f.Last = in[0].First, in[len(in)-1].Last
	}
}

// JoinInner closes the inner foreach.
func (f *NestedFlow) JoinInner(c *stepflow.Context, in []*NestedFlow) error {
	f.merge(in)
	return nil
}

// JoinMiddle closes the middle foreach.
func (f *NestedFlow) JoinMiddle(c *stepflow.Context, in []*NestedFlow) error {
	f.merge(in)
	return nil
}

// JoinOuter closes the outer foreach.
func (f *NestedFlow) JoinOuter(c *stepflow.Context, in []*NestedFlow) error {
	f.merge(in)
	f.Total = f.Value
	return nil
}

// End summarizes.
func (f *NestedFlow) End(c *stepflow.Context) error {
	f.Summary = fmt.Sprintf("%d leaves, total %d, %s..%s", f.Count, f.Total, f.First, f.Last)
	c.Printf("%s\n", f.Summary)
	return nil
}

// newFlow declares the flow: main runs it, main_test.go tests it.
func newFlow() *stepflow.Flow[NestedFlow] {
	return stepflow.New[NestedFlow]("NestedForeachFlow").
		Step("start", (*NestedFlow).Start, stepflow.Foreach("Outer", "outer")).
		Step("outer", (*NestedFlow).OuterStep, stepflow.Foreach("Middle", "middle")).
		Step("middle", (*NestedFlow).MiddleStep, stepflow.Foreach("Inner", "leaf")).
		Step("leaf", (*NestedFlow).Leaf, stepflow.Next("join_inner")).
		// Each join drops the item of the foreach it closes (and the
		// leaves' own C and Path): its inputs disagree on them.
		Join("join_inner", (*NestedFlow).JoinInner, stepflow.Next("join_middle"), stepflow.Drop("C", "Path")).
		Join("join_middle", (*NestedFlow).JoinMiddle, stepflow.Next("join_outer"), stepflow.Drop("B")).
		Join("join_outer", (*NestedFlow).JoinOuter, stepflow.Next("end"), stepflow.Drop("A")).
		Step("end", (*NestedFlow).End)
}

func main() { stepflow.Main(newFlow()) }
