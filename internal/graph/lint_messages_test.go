package graph_test

import (
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

// hidden has an unexported slice field: not an artifact.
type hidden struct {
	Mode  string
	words []string
}

func hfn(*hidden, *stepflow.Context) error            { return nil }
func hjn(*hidden, *stepflow.Context, []*hidden) error { return nil }

// TestLintMessages checks the whole text of the linter's report for
// flows whose report once misled: a false follow-up after a crossing
// join, a garbled sentence for an unexported field, a switch that skips
// a join blamed on end.
func TestLintMessages(t *testing.T) {
	_ = hidden{}.words
	cases := []struct {
		name string
		def  *flow.Flow
		want string
	}{
		{"crossing join without a false unbalanced follow-up",
			tail(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, next("j")).Step("b", fn, branch("c", "d")).
				Step("c", fn, next("j")).Step("d", fn, next("j")).Join("j", jn, next("end"))),
			`flow TestFlow has 1 problem:
  step "j": join closes both "start" and "b"; a join closes the innermost open split; join the inner split first [crossing-join]`},
		{"foreach over an unexported field",
			flow.MustDefinitionOf(stepflow.New[hidden]("HiddenFlow").Step("start", hfn, stepflow.Foreach("words", "a")).
				Step("a", hfn, next("join")).Join("join", hjn, next("end")).Step("end", hfn)),
			`flow HiddenFlow has 1 problem:
  step "start": foreach over field "words" of hidden, which is unexported, so it is not an artifact and the tasks after this step would not see it; export it: rename the field Words and use "Words" here [foreach-field]`},
		{"switch on an unexported field",
			flow.MustDefinitionOf(stepflow.New[hidden]("HiddenFlow").Step("start", hfn, stepflow.Switch("words", cases("x", "a", "y", "end"))).
				Step("a", hfn, next("end")).Step("end", hfn)),
			`flow HiddenFlow has 1 problem:
  step "start": switch on field "words" of hidden, which is unexported, so it is not an artifact and the tasks after this step would not see it; export it: rename the field Words and use "Words" here [switch-field]`},
		{"foreach over a missing field",
			tail(newFlow().Step("start", fn, foreach("Nope", "a")).Step("a", fn, next("join")).Join("join", jn, next("end"))),
			`flow TestFlow has 1 problem:
  step "start": foreach over field "Nope", but st has no field of that name; name an exported slice field of st [foreach-field]`},
		{"switch case skipping the join of a branch, joined path first",
			tail(newFlow().Step("start", fn, branch("a", "b")).
				Step("a", fn, stepflow.Switch("Mode", cases("x", "c", "y", "end"))).Step("c", fn, next("join")).
				Step("b", fn, next("join")).Join("join", jn, next("end"))),
			`flow TestFlow has 1 problem:
  step "a": case "y" goes to end from inside branch a of start, skipping join "join"; make case "y" lead to join "join" (or to a step before it), or move the switch after the join [unbalanced-join]`},
		{"switch case skipping the join of a branch, skipping path first",
			tail(newFlow().Step("start", fn, branch("a", "b")).
				Step("a", fn, stepflow.Switch("Mode", cases("y", "end", "x", "c"))).Step("c", fn, next("join")).
				Step("b", fn, next("join")).Join("join", jn, next("end"))),
			`flow TestFlow has 1 problem:
  step "a": case "y" goes to end from inside branch a of start, skipping join "join"; make case "y" lead to join "join" (or to a step before it), or move the switch after the join [unbalanced-join]`},
		{"switch case skipping the join of a foreach",
			tail(newFlow().Step("start", fn, foreach("Items", "a")).
				Step("a", fn, stepflow.Switch("Mode", cases("x", "c", "y", "end"))).Step("c", fn, next("join")).
				Join("join", jn, next("end"))),
			`flow TestFlow has 1 problem:
  step "a": case "y" goes to end from inside the foreach of start, skipping join "join"; make case "y" lead to join "join" (or to a step before it), or move the switch after the join [unbalanced-join]`},
		{"switch case skipping the join to a later step",
			tail(newFlow().Step("start", fn, branch("a", "b")).
				Step("a", fn, stepflow.Switch("Mode", cases("x", "c", "y", "after"))).Step("c", fn, next("join")).
				Step("b", fn, next("join")).Join("join", jn, next("after")).Step("after", fn, next("end"))),
			`flow TestFlow has 1 problem:
  step "a": case "y" goes to after from inside branch a of start, skipping join "join"; make case "y" lead to join "join" (or to a step before it), or move the switch after the join [unbalanced-join]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := graph.New(c.def)
			if err == nil {
				t.Fatalf("no error; want:\n%s", c.want)
			}
			if got := err.Error(); got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}
