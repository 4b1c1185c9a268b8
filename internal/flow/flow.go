// Package flow holds the non-generic model of a flow definition: its steps,
// transitions, options, parameters and configs, and the Context a step runs
// with. The public package stepflow builds a Flow from typed Go code; every
// other part of Stepflow (graph, runtime, compiler) consumes this model.
package flow

import (
	"reflect"
)

// Flow is a complete flow definition as declared by the user.
type Flow struct {
	Name      string       // flow name, e.g. "TrainFlow"
	StateType reflect.Type // the user's state struct (not a pointer)
	Steps     []*Step      // in declaration order
	Params    []*Param     // in declaration order
	Configs   []*Config    // in declaration order
	Schedule  *Schedule    // nil when the flow has no schedule
	Project   string       // optional project name
	Tags      []string     // flow-level tags
	Triggers  []*Trigger   // events that start the deployed flow
	Secrets   []Secret     // secrets every step may read (Flow.SecretsOf)
	OnFinish  *Hook        // the exit hook; nil: none

	// Errors are definition mistakes found while the flow was declared
	// (nil functions, options given twice, bad values). The linter reports
	// them together with the graph's own violations.
	Errors []error
}

// Step returns the step called name, or nil.
func (f *Flow) Step(name string) *Step {
	for _, s := range f.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Fields lists the artifact fields of the state struct: every exported
// field, in declaration order.
func (f *Flow) Fields() []reflect.StructField {
	if f.StateType == nil || f.StateType.Kind() != reflect.Struct {
		return nil
	}
	var out []reflect.StructField
	for i := 0; i < f.StateType.NumField(); i++ {
		sf := f.StateType.Field(i)
		if sf.IsExported() && !sf.Anonymous {
			out = append(out, sf)
		}
	}
	return out
}

// Field returns the exported state field called name.
func (f *Flow) Field(name string) (reflect.StructField, bool) {
	for _, sf := range f.Fields() {
		if sf.Name == name {
			return sf, true
		}
	}
	return reflect.StructField{}, false
}

// Func is the untyped form of a step function. state is a pointer to the
// flow's state struct; inputs holds the parents' states (pointers) for a
// join, in split order, and is nil for every other step.
type Func func(c *Context, state any, inputs []any) error

// Step is one declared step.
type Step struct {
	Name       string
	Func       Func // nil is a definition error
	IsJoin     bool // declared with Join: the function takes inputs
	Transition Transition
	Options    Options
}

// Schedule is a flow's cron schedule.
type Schedule struct {
	Cron     string // five-field cron expression, e.g. "0 3 * * *"
	Timezone string // IANA zone name; empty means UTC
}
