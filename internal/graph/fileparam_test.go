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

// fileState is the state of the file parameter cases.
type fileState struct {
	Data stepflow.File
	Name string
}

func fileStep(*fileState, *stepflow.Context) error { return nil }

// fileFlow is start -> end over fileState, declared by add.
func fileFlow(add func(f *stepflow.Flow[fileState]) *stepflow.Flow[fileState]) *flow.Flow {
	f := stepflow.New[fileState]("FileFlow").
		Step("start", fileStep, stepflow.Next("end")).
		Step("end", fileStep)
	return flow.MustDefinitionOf(add(f))
}

// A file parameter fills a stepflow.File field, and only a file parameter
// does; an event cannot carry a file.
func TestFileParamLint(t *testing.T) {
	cases := []struct {
		name  string
		add   func(f *stepflow.Flow[fileState]) *stepflow.Flow[fileState]
		rules []string
		msg   string
	}{
		{"valid", func(f *stepflow.Flow[fileState]) *stepflow.Flow[fileState] {
			return f.FileParam("data", "data.csv", "the data").Param("name", "x", "")
		}, nil, ""},
		{"file parameter into a string field", func(f *stepflow.Flow[fileState]) *stepflow.Flow[fileState] {
			return f.FileParam("name", "data.csv", "")
		}, []string{"param-type"}, `file parameter "name" fills field Name, which is string, not a stepflow.File`},
		{"plain parameter into a File field", func(f *stepflow.Flow[fileState]) *stepflow.Flow[fileState] {
			return f.Param("data", nil, "")
		}, []string{"param-type"}, `parameter "data" is a stepflow.File, which a plain parameter cannot fill`},
		{"file parameter without field", func(f *stepflow.Flow[fileState]) *stepflow.Flow[fileState] {
			return f.FileParam("input", "data.csv", "")
		}, []string{"param-field"}, `file parameter "input" has no field "Input"`},
		{"event mapped to a file parameter", func(f *stepflow.Flow[fileState]) *stepflow.Flow[fileState] {
			return f.FileParam("data", "data.csv", "").Trigger(stepflow.OnEvent("e", stepflow.Map("data", "detail.path")))
		}, []string{"trigger-type"}, "maps file parameter data: an event carries no local file"},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			_, err := graph.New(fileFlow(tc.add))
			if tc.rules == nil {
				if err != nil {
					t.Fatalf("graph.New: %v", err)
				}
				return
			}
			var le *graph.LintError
			if !errors.As(err, &le) {
				t.Fatalf("graph.New = %v; want a *LintError", err)
			}
			var rules []string
			for _, v := range le.Violations {
				rules = append(rules, v.Rule)
			}
			slices.Sort(rules)
			if rules = slices.Compact(rules); !slices.Equal(rules, tc.rules) {
				t.Errorf("rules = %q, want %q\n%v", rules, tc.rules, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error does not contain %q:\n%v", tc.msg, err)
			}
		})
	}
}
