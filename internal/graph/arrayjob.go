package graph

import "fmt"

// ArrayJobBody returns the body step of the foreach n when, on AWS, its
// items can run as AWS Batch array jobs: a top-level foreach whose body is
// one step whose options AWS Batch can express (docs/state-machine.md,
// "Array jobs"). Otherwise it returns nil and, when only the body's
// options prevent it, why (the Step Functions compiler warns with it, and
// show prints it).
func (g *Graph) ArrayJobBody(n *Node) (*Node, string) {
	if n.Kind != Foreach || n.ForeachDepth > 0 {
		return nil, ""
	}
	b := g.Node(n.Out[0])
	if b == nil || b.Kind != Linear || len(b.Out) != 1 || b.Out[0] != n.MatchingJoin {
		return nil, ""
	}
	o := b.Step.Options
	switch {
	case o.Retry != nil && o.Retry.Times > 0 && o.Retry.Delay > 0:
		return nil, fmt.Sprintf("step %s runs as a Step Functions Map, not as AWS Batch array jobs: its retry waits %s between attempts (stepflow.Retry(%d, %s)) and AWS Batch retries an array job's child at once; give it stepflow.Retry(%d, 0) to run it as array jobs",
			b.Name, o.Retry.Delay, o.Retry.Times, o.Retry.Delay, o.Retry.Times)
	}
	return b, ""
}
