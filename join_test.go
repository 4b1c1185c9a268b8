package stepflow_test

import (
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

// joinFlow: start sets X=7, the branches set X to 1 and 2, and the join
// does what set says: nothing, or assigns X.
type joinFlow struct {
	X   int
	Sum int
}

func newJoinFlow(join func(f *joinFlow, in []*joinFlow), opts ...stepflow.StepOption) *stepflow.Flow[joinFlow] {
	return stepflow.New[joinFlow]("JoinFlow").
		Step("start", func(f *joinFlow, c *stepflow.Context) error { f.X = 7; return nil }, stepflow.Branch("a", "b")).
		Step("a", func(f *joinFlow, c *stepflow.Context) error { f.X = 1; return nil }, stepflow.Next("join")).
		Step("b", func(f *joinFlow, c *stepflow.Context) error { f.X = 2; return nil }, stepflow.Next("join")).
		Join("join", func(f *joinFlow, c *stepflow.Context, in []*joinFlow) error {
			for _, t := range in {
				f.Sum += t.X
			}
			join(f, in)
			return nil
		}, append([]stepflow.StepOption{stepflow.Next("end")}, opts...)...).
		Step("end", func(f *joinFlow, c *stepflow.Context) error { return nil })
}

// A join never zeroes an artifact its inputs disagree on without saying
// so: it fails naming the artifact and the ways out.
func TestJoinNeverZeroesSilently(t *testing.T) {
	res := stepflowtest.RunFailing(t, newJoinFlow(func(*joinFlow, []*joinFlow) {}))
	fails := res.Failures()
	if len(fails) != 1 || fails[0].Step != "join" {
		t.Fatalf("failures %+v, want the join's", fails)
	}
	for _, want := range []string{"inputs disagree on X", "f.X = ", "in[0].X", `stepflow.Drop("X")`} {
		if !strings.Contains(fails[0].Err, want) {
			t.Errorf("join error %q does not say %q", fails[0].Err, want)
		}
	}

	set := stepflowtest.Run(t, newJoinFlow(func(f *joinFlow, in []*joinFlow) { f.X = in[1].X }))
	if end := set.End(); end.X != 2 || end.Sum != 3 {
		t.Errorf("join setting X: end %+v, want X=2 Sum=3", *end)
	}
	dropped := stepflowtest.Run(t, newJoinFlow(func(*joinFlow, []*joinFlow) {}, stepflow.Drop("X")))
	if end := dropped.End(); end.X != 0 || end.Sum != 3 {
		t.Errorf("join dropping X: end %+v, want X=0 Sum=3", *end)
	}
}
