package stepflowtest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

type hookFlow struct{ N int }

func hookDef(failStart bool, hookErr error) *stepflow.Flow[hookFlow] {
	return stepflow.New[hookFlow]("HookTestFlow").
		Step("start", func(f *hookFlow, c *stepflow.Context) error {
			f.N = 7
			if failStart {
				return errors.New("start broke")
			}
			return nil
		}, stepflow.Next("end")).
		Step("end", func(*hookFlow, *stepflow.Context) error { return nil }).
		OnFinish(func(c *stepflow.Context, run *stepflow.Finished[hookFlow]) error {
			c.Printf("told %s", run.Status())
			if end, err := run.End(); err == nil {
				c.Printf(", N=%d", end.N)
				end.N = 100 // a copy: changes nothing stored
			}
			return hookErr
		})
}

// A test run runs the exit hook as the run command does: after a run
// that succeeded or failed, with a read-only view of its artifacts; a
// failing hook changes nothing of the run.
func TestRunHook(t *testing.T) {
	res := stepflowtest.Run(t, hookDef(false, nil))
	if h := res.Hook(); h == nil || h.Status != "succeeded" || h.RunStatus != "succeeded" || h.Output != "told succeeded, N=7" {
		t.Errorf("hook %+v", h)
	}
	if res.End().N != 7 {
		t.Errorf("the hook changed the end's artifact: N = %d", res.End().N)
	}
	res = stepflowtest.RunFailing(t, hookDef(true, nil))
	if h := res.Hook(); h == nil || h.Status != "succeeded" || h.RunStatus != "failed" || h.Output != "told failed" {
		t.Errorf("hook %+v", h)
	}
	res = stepflowtest.Run(t, hookDef(false, errors.New("pager down")))
	if h := res.Hook(); h == nil || h.Status != "failed" || h.RunStatus != "succeeded" || !strings.Contains(h.Error, "exit hook: pager down") {
		t.Errorf("hook %+v", h)
	}
	if res.Failed() {
		t.Error("a failing hook failed the run")
	}
	if h := stepflowtest.Run(t, secretDef(), stepflowtest.Secrets{"db": "x"}).Hook(); h != nil {
		t.Errorf("a flow without a hook has hook %+v", h)
	}
}
