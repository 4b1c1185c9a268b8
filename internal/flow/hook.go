package flow

import "fmt"

// Hook is a flow's exit hook (Flow.OnFinish): it runs once per run, after
// the run ended, whatever its outcome.
type Hook struct {
	Func func(c *Context, o *Outcome) error
}

// Outcome is what an exit hook is told about the run that ended.
type Outcome struct {
	RunID  string
	Status string // "succeeded" or "failed"
	Error  string // why the run failed; empty when it succeeded
	// Load returns a copy of the state (*T) of a task of the run, its
	// latest successful attempt: a read-only view of its artifacts.
	Load func(step, task string) (any, error)
}

// OnFinish sets the flow's exit hook.
func (b *Builder[T]) OnFinish(fn func(c *Context, o *Outcome) error) *Builder[T] {
	switch {
	case fn == nil:
		b.def.Errors = append(b.def.Errors, fmt.Errorf("OnFinish is given a nil function; pass the hook's function"))
	case b.def.OnFinish != nil:
		b.def.Errors = append(b.def.Errors, fmt.Errorf("OnFinish is called twice; a flow has one exit hook: do both things in one function"))
	default:
		b.def.OnFinish = &Hook{Func: fn}
	}
	return b
}
