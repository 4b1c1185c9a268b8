package graph_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

// trig is a valid flow with parameters of every kind, and triggers added
// by add.
func trig(add func(f *stepflow.Flow[st]) *stepflow.Flow[st]) *flow.Flow {
	f := newFlow().Param("mode", "fast", "a string").Param("count", 1, "an int").
		Param("data", map[string]int{}, "json").Param("who", "", "required", stepflow.Required(), stepflow.Field("Tag")).
		Step("start", fn, next("end"))
	return tail(add(f))
}

func TestTriggerLint(t *testing.T) {
	cases := []struct {
		name  string
		add   func(f *stepflow.Flow[st]) *stepflow.Flow[st]
		rules []string
		msg   string
	}{
		{"valid", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.Trigger(stepflow.OnEvent("data.ready", stepflow.Map("who", "detail.tag"), stepflow.Map("count", "detail.n"), stepflow.Map("mode", "id"))).
				TriggerOnFinish("Up", stepflow.Map("who", "pathspec"), stepflow.OnlyOnSuccess()).
				TriggerOnFinish("TestFlow", stepflow.InBranch("staging"), stepflow.Map("who", "run_id"))
		}, nil, ""},
		{"unknown parameter", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.Trigger(stepflow.OnEvent("e", stepflow.Map("who", "detail.tag"), stepflow.Map("nope", "detail.x")))
		}, []string{"trigger-unknown-parameter"}, `trigger on event "e" maps "nope", which is not a parameter`},
		{"json parameter", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.Trigger(stepflow.OnEvent("e", stepflow.Map("who", "detail.tag"), stepflow.Map("data", "detail.data")))
		}, []string{"trigger-type"}, "maps parameter data of type map[string]int"},
		{"finish field to an int", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.TriggerOnFinish("Up", stepflow.Map("who", "run_id"), stepflow.Map("count", "status"))
		}, []string{"trigger-type"}, "maps parameter count (int) to status, which is a string"},
		{"envelope string to an int", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.Trigger(stepflow.OnEvent("e", stepflow.Map("who", "detail.tag"), stepflow.Map("count", "time")))
		}, []string{"trigger-type"}, "maps parameter count (int) to time"},
		{"unknown finish field", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.TriggerOnFinish("Up", stepflow.Map("who", "detail.name"))
		}, []string{"trigger-path"}, `"detail.name", which a finish event does not have`},
		{"bad path", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.Trigger(stepflow.OnEvent("e", stepflow.Map("who", "$.detail['x']")))
		}, []string{"trigger-path"}, "not a path EventBridge reads"},
		{"path outside detail", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.Trigger(stepflow.OnEvent("e", stepflow.Map("who", "payload.x")))
		}, []string{"trigger-path"}, "which an EventBridge event does not have"},
		{"required not mapped", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.Trigger(stepflow.OnEvent("e", stepflow.Map("mode", "detail.mode")))
		}, []string{"trigger-required"}, "does not map the required parameter who"},
		{"self loop", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.TriggerOnFinish("TestFlow", stepflow.Map("who", "run_id"))
		}, []string{"trigger-loop"}, "would start itself each time it finishes"},
		{"self loop, no project", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.TriggerOnFinish("TestFlow", stepflow.InProject(""), stepflow.Map("who", "run_id"))
		}, []string{"trigger-loop"}, "would start itself each time it finishes"},
		{"duplicate, no project", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.TriggerOnFinish("Up", stepflow.InProject(""), stepflow.Map("who", "run_id")).
				TriggerOnFinish("Up", stepflow.InProject(""), stepflow.Map("who", "run_id"))
		}, []string{"trigger-duplicate"}, "declared twice"},
		{"bad event name", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.Trigger(stepflow.OnEvent("aws.s3", stepflow.Map("who", "detail.x")))
		}, []string{"trigger-event"}, "the event name is not valid"},
		{"duplicate", func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
			return f.Trigger(stepflow.OnEvent("e", stepflow.Map("who", "detail.x"), stepflow.Map("who", "detail.y"))).
				Trigger(stepflow.OnEvent("e", stepflow.Map("who", "detail.x")))
		}, []string{"trigger-duplicate", "trigger-duplicate-mapping"}, "maps parameter who twice"},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			_, err := graph.New(trig(tc.add))
			var le *graph.LintError
			if tc.rules == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.As(err, &le) {
				t.Fatalf("graph.New = %v; want a *LintError", err)
			}
			var rules []string
			for _, v := range le.Violations {
				rules = append(rules, v.Rule)
			}
			slices.Sort(rules)
			rules = slices.Compact(rules)
			if !slices.Equal(rules, tc.rules) {
				t.Errorf("rules = %q, want %q\n%v", rules, tc.rules, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error does not contain %q:\n%v", tc.msg, err)
			}
		})
	}
}

func TestTriggerString(t *testing.T) {
	f := trig(func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
		return f.TriggerOnFinish("Up", stepflow.Map("who", "pathspec"), stepflow.OnlyOnSuccess(), stepflow.InProject("p"), stepflow.InBranch("b"))
	})
	if got, want := graph.TriggerString(f.Triggers[0]), "when Up succeeds (project p) (branch b): who <- pathspec"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	f = trig(func(f *stepflow.Flow[st]) *stepflow.Flow[st] {
		return f.TriggerOnFinish("Up", stepflow.Map("who", "pathspec"), stepflow.InProject(""))
	})
	if got, want := graph.TriggerString(f.Triggers[0]), "when Up finishes (no project): who <- pathspec"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
