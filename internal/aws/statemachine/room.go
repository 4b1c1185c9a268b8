package statemachine

import (
	"fmt"
	"reflect"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

// ShapeRoom is how many steps of one shape a definition has room for
// under the 1 MiB limit.
type ShapeRoom struct {
	Shape string // "linear step", "one-step foreach", "two-way branch", "two-case switch"
	Steps int    // steps in one unit of the shape (a foreach: split, body, join)
	Bytes int    // compact definition bytes one more unit takes
	More  int    // units that still fit in this flow's definition
	Alone int    // units a flow of only this shape (and start, end) can have
}

// roomNameLen is the length of the step names the shapes are measured
// with ("step_0001"): longer names take more bytes.
const roomNameLen = 9

// roomState is the state type of the measured flows.
type roomState struct {
	Items  []int
	Choice string
}

// room measures, with the settings s, the bytes of one more unit of each
// shape (steps without options, roomNameLen-character names) in flow
// flowName (the name is in every Task state) by compiling flows of one and
// two units, and how many fit beside used bytes.
func room(flowName string, s Settings, used int) ([]ShapeRoom, error) {
	s.Configs, s.Files = nil, nil
	if s.DynamoDBTable == "" {
		s.DynamoDBTable = "stepflow" // the template's table name, for flows without one
	}
	var out []ShapeRoom
	for _, sh := range []struct {
		name  string
		steps int
		add   func(f *flow.Flow, i int, next string) string // adds unit i before next; returns its first step
	}{
		{"linear step", 1, func(f *flow.Flow, i int, next string) string {
			a := fmt.Sprintf("step_%04d", i)
			f.Steps = append(f.Steps, roomStep(a, flow.Next, next))
			return a
		}},
		{"one-step foreach", 3, func(f *flow.Flow, i int, next string) string {
			split, body, join := fmt.Sprintf("each_%04d", i), fmt.Sprintf("body_%04d", i), fmt.Sprintf("join_%04d", i)
			sp := roomStep(split, flow.Foreach, body)
			sp.Transition.Field = "Items"
			j := roomStep(join, flow.Next, next)
			j.IsJoin = true
			f.Steps = append(f.Steps, sp, roomStep(body, flow.Next, join), j)
			return split
		}},
		{"two-way branch", 4, func(f *flow.Flow, i int, next string) string {
			split, a, b, join := fmt.Sprintf("fork_%04d", i), fmt.Sprintf("left_%04d", i), fmt.Sprintf("righ_%04d", i), fmt.Sprintf("join_%04d", i)
			j := roomStep(join, flow.Next, next)
			j.IsJoin = true
			f.Steps = append(f.Steps, roomStep(split, flow.Branch, a, b), roomStep(a, flow.Next, join), roomStep(b, flow.Next, join), j)
			return split
		}},
		{"two-case switch", 3, func(f *flow.Flow, i int, next string) string {
			sw, a, b := fmt.Sprintf("pick_%04d", i), fmt.Sprintf("case_%04d", i), fmt.Sprintf("else_%04d", i)
			st := roomStep(sw, flow.Switch, a, b)
			st.Transition.Field = "Choice"
			st.Transition.Cases = []flow.Case{{Value: "a", Target: a}, {Value: "b", Target: b}}
			f.Steps = append(f.Steps, st, roomStep(a, flow.Next, next), roomStep(b, flow.Next, next))
			return sw
		}},
	} {
		size := func(units int) (int, error) {
			f := &flow.Flow{Name: flowName, StateType: reflect.TypeOf(roomState{})}
			f.Steps = append(f.Steps, roomStep("start", flow.Next, "x"))
			next := "end"
			for i := units; i >= 1; i-- {
				next = sh.add(f, i, next)
			}
			f.Steps[0].Transition.Targets = []string{next}
			f.Steps = append(f.Steps, roomStep("end", flow.End))
			g, err := graph.New(f)
			if err != nil {
				return 0, fmt.Errorf("measuring the room for a %s: %w", sh.name, err)
			}
			r, err := Compile(g, s)
			if err != nil {
				return 0, fmt.Errorf("measuring the room for a %s: %w", sh.name, err)
			}
			return r.DefinitionSize, nil
		}
		one, err := size(1)
		if err != nil {
			return nil, err
		}
		two, err := size(2)
		if err != nil {
			return nil, err
		}
		// The second unit is the marginal one: the first may differ (the
		// start step's successor, the first switch or foreach).
		each := two - one
		rs := ShapeRoom{Shape: sh.name, Steps: sh.steps, Bytes: each, More: max(0, (MaxDefinition-used)/each)}
		if one <= MaxDefinition {
			rs.Alone = (MaxDefinition-one)/each + 1
		}
		out = append(out, rs)
	}
	return out, nil
}

// roomStep is a measured step without options.
func roomStep(name string, kind flow.TransitionKind, targets ...string) *flow.Step {
	return &flow.Step{Name: name, Func: func(*flow.Context, any, []any) error { return nil },
		Transition: flow.Transition{Kind: kind, Targets: targets}}
}
