package stepflow_test

import (
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

type lazyFlow struct {
	Big     stepflow.Lazy[[]float64]
	Doubled stepflow.Lazy[[]float64]
	Sum     float64
}

func newLazyFlow() *stepflow.Flow[lazyFlow] {
	return stepflow.New[lazyFlow]("LazyFlow").
		Step("start", func(f *lazyFlow, c *stepflow.Context) error {
			x := make([]float64, 1000)
			for i := range x {
				x[i] = float64(i)
			}
			f.Big.Set(x)
			return nil
		}, stepflow.Next("skip")).
		Step("skip", func(f *lazyFlow, c *stepflow.Context) error { return nil }, stepflow.Next("double")).
		Step("double", func(f *lazyFlow, c *stepflow.Context) error {
			x, err := f.Big.Get()
			if err != nil {
				return err
			}
			d := make([]float64, len(x))
			for i, v := range x {
				d[i] = 2 * v
			}
			f.Doubled.Set(d)
			return nil
		}, stepflow.Next("end")).
		Step("end", func(f *lazyFlow, c *stepflow.Context) error {
			d, err := f.Doubled.Get()
			for _, v := range d {
				f.Sum += v
			}
			return err
		})
}

func TestLazy(t *testing.T) {
	res := stepflowtest.Run(t, newLazyFlow())
	if got := res.End().Sum; got != 999*1000 {
		t.Errorf("Sum = %v, want %v", got, 999*1000)
	}
	// The step that ignored Big passed it on; its state still reads it.
	x, err := res.Task("skip").Big.Get()
	if err != nil || len(x) != 1000 || x[999] != 999 {
		t.Errorf("skip's Big: %d elements, %v", len(x), err)
	}
	var zero stepflow.Lazy[int]
	if v, err := zero.Get(); v != 0 || err != nil {
		t.Errorf("zero Lazy: %v %v", v, err)
	}
}
