package graph_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

// st is the state of every test flow.
type st struct {
	Items []int
	More  []int
	Deep  []string
	Mode  string
	Count int
	Data  map[string]int
	Err   string
	Fail  stepflow.Failure
	Tag   string
	Wait  time.Duration
}

func fn(*st, *stepflow.Context) error         { return nil }
func jn(*st, *stepflow.Context, []*st) error  { return nil }
func newFlow() *stepflow.Flow[st]             { return stepflow.New[st]("TestFlow") }
func next(s string) stepflow.StepOption       { return stepflow.Next(s) }
func branch(s ...string) stepflow.StepOption  { return stepflow.Branch(s...) }
func foreach(f, s string) stepflow.StepOption { return stepflow.Foreach(f, s) }
func cases(kv ...string) stepflow.Cases {
	c := stepflow.Cases{}
	for i := 0; i < len(kv); i += 2 {
		c[kv[i]] = kv[i+1]
	}
	return c
}

// node is the expected model of one step. Nil slices mean empty.
type node struct {
	kind     graph.Kind
	out, in  []string
	parents  []string
	branches []string
	join     string
	inside   bool
	depth    int
}

func checkGraph(t *testing.T, def *flow.Flow, order []string, want map[string]node) {
	t.Helper()
	g, err := graph.New(def)
	if err != nil {
		t.Fatalf("graph.New: %v", err)
	}
	// A task process builds the graph the runtime linted without the
	// checks: the same graph.
	if tg := graph.Trusted(def); !reflect.DeepEqual(tg, g) {
		t.Errorf("graph.Trusted differs from graph.New:\n%+v\n%+v", tg, g)
	}
	if !slices.Equal(g.Order, order) {
		t.Errorf("Order = %q, want %q", g.Order, order)
	}
	if len(g.Nodes) != len(want) {
		t.Errorf("%d nodes, want %d", len(g.Nodes), len(want))
	}
	if g.Start != "start" || g.End != "end" {
		t.Errorf("Start, End = %q, %q", g.Start, g.End)
	}
	for name, w := range want {
		n := g.Node(name)
		if n == nil {
			t.Errorf("no node %q", name)
			continue
		}
		if n.Name != name || n.Step == nil || n.Step.Name != name {
			t.Errorf("%s: Name/Step not set", name)
		}
		if n.Kind != w.kind {
			t.Errorf("%s: Kind = %v, want %v", name, n.Kind, w.kind)
		}
		eq := func(what string, got, want []string) {
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("%s: %s = %q, want %q", name, what, got, want)
			}
		}
		eq("Out", n.Out, w.out)
		eq("In", n.In, w.in)
		eq("SplitParents", n.SplitParents, w.parents)
		eq("SplitBranches", n.SplitBranches, w.branches)
		if n.MatchingJoin != w.join {
			t.Errorf("%s: MatchingJoin = %q, want %q", name, n.MatchingJoin, w.join)
		}
		if n.InsideForeach != w.inside {
			t.Errorf("%s: InsideForeach = %v, want %v", name, n.InsideForeach, w.inside)
		}
		if n.ForeachDepth != w.depth {
			t.Errorf("%s: ForeachDepth = %d, want %d", name, n.ForeachDepth, w.depth)
		}
		if fp := g.ForeachParents(n); len(fp) != n.ForeachDepth {
			t.Errorf("%s: ForeachParents = %q, inconsistent with ForeachDepth %d", name, fp, n.ForeachDepth)
		}
		wantSplit := ""
		if len(w.parents) > 0 {
			wantSplit = w.parents[len(w.parents)-1]
		}
		if n.Split() != wantSplit {
			t.Errorf("%s: Split() = %q, want %q", name, n.Split(), wantSplit)
		}
	}
}

type ss = []string

func TestLinear(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().
		Step("start", fn, next("a")).
		Step("a", fn, next("end")).
		Step("end", fn))
	checkGraph(t, def, ss{"start", "a", "end"}, map[string]node{
		"start": {kind: graph.Linear, out: ss{"a"}},
		"a":     {kind: graph.Linear, out: ss{"end"}, in: ss{"start"}},
		"end":   {kind: graph.End, in: ss{"a"}},
	})
}

func TestBranch(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().
		Step("start", fn, branch("a", "b")).
		Step("a", fn, next("join")).
		Step("b", fn, next("b2")).
		Step("b2", fn, next("join")).
		Join("join", jn, next("end")).
		Step("end", fn))
	checkGraph(t, def, ss{"start", "a", "b", "b2", "join", "end"}, map[string]node{
		"start": {kind: graph.Split, out: ss{"a", "b"}, join: "join"},
		"a":     {kind: graph.Linear, out: ss{"join"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"a"}},
		"b":     {kind: graph.Linear, out: ss{"b2"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"b"}},
		"b2":    {kind: graph.Linear, out: ss{"join"}, in: ss{"b"}, parents: ss{"start"}, branches: ss{"b"}},
		"join":  {kind: graph.Join, out: ss{"end"}, in: ss{"a", "b2"}, parents: ss{"start"}, branches: ss{""}},
		"end":   {kind: graph.End, in: ss{"join"}},
	})
}

// In lists predecessors in declaration order, whatever the branch order.
func TestInDeclarationOrder(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().
		Step("start", fn, branch("b", "a")).
		Step("a", fn, next("join")).
		Step("b", fn, next("join")).
		Join("join", jn, next("end")).
		Step("end", fn))
	checkGraph(t, def, ss{"start", "a", "b", "join", "end"}, map[string]node{
		"start": {kind: graph.Split, out: ss{"b", "a"}, join: "join"},
		"a":     {kind: graph.Linear, out: ss{"join"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"a"}},
		"b":     {kind: graph.Linear, out: ss{"join"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"b"}},
		"join":  {kind: graph.Join, out: ss{"end"}, in: ss{"a", "b"}, parents: ss{"start"}, branches: ss{""}},
		"end":   {kind: graph.End, in: ss{"join"}},
	})
}

func TestForeach(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().
		Step("start", fn, foreach("Items", "body")).
		Step("body", fn, next("join")).
		Join("join", jn, next("end")).
		Step("end", fn))
	checkGraph(t, def, ss{"start", "body", "join", "end"}, map[string]node{
		"start": {kind: graph.Foreach, out: ss{"body"}, join: "join"},
		"body":  {kind: graph.Linear, out: ss{"join"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"body"}, inside: true, depth: 1},
		"join":  {kind: graph.Join, out: ss{"end"}, in: ss{"body"}, parents: ss{"start"}, branches: ss{""}},
		"end":   {kind: graph.End, in: ss{"join"}},
	})
}

func TestNestedForeach3(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().
		Step("start", fn, foreach("Items", "outer")).
		Step("outer", fn, foreach("More", "middle")).
		Step("middle", fn, foreach("Deep", "leaf")).
		Step("leaf", fn, next("join_inner")).
		Join("join_inner", jn, next("join_middle")).
		Join("join_middle", jn, next("join_outer")).
		Join("join_outer", jn, next("end")).
		Step("end", fn))
	checkGraph(t, def, ss{"start", "outer", "middle", "leaf", "join_inner", "join_middle", "join_outer", "end"}, map[string]node{
		"start":       {kind: graph.Foreach, out: ss{"outer"}, join: "join_outer"},
		"outer":       {kind: graph.Foreach, out: ss{"middle"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"outer"}, join: "join_middle", inside: true, depth: 1},
		"middle":      {kind: graph.Foreach, out: ss{"leaf"}, in: ss{"outer"}, parents: ss{"start", "outer"}, branches: ss{"outer", "middle"}, join: "join_inner", inside: true, depth: 2},
		"leaf":        {kind: graph.Linear, out: ss{"join_inner"}, in: ss{"middle"}, parents: ss{"start", "outer", "middle"}, branches: ss{"outer", "middle", "leaf"}, inside: true, depth: 3},
		"join_inner":  {kind: graph.Join, out: ss{"join_middle"}, in: ss{"leaf"}, parents: ss{"start", "outer", "middle"}, branches: ss{"outer", "middle", ""}, inside: true, depth: 2},
		"join_middle": {kind: graph.Join, out: ss{"join_outer"}, in: ss{"join_inner"}, parents: ss{"start", "outer"}, branches: ss{"outer", ""}, inside: true, depth: 1},
		"join_outer":  {kind: graph.Join, out: ss{"end"}, in: ss{"join_middle"}, parents: ss{"start"}, branches: ss{""}},
		"end":         {kind: graph.End, in: ss{"join_outer"}},
	})
}

func TestBranchInForeach(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().
		Step("start", fn, foreach("Items", "split")).
		Step("split", fn, branch("a", "b")).
		Step("a", fn, next("join_branches")).
		Step("b", fn, next("join_branches")).
		Join("join_branches", jn, next("join_items")).
		Join("join_items", jn, next("end")).
		Step("end", fn))
	checkGraph(t, def, ss{"start", "split", "a", "b", "join_branches", "join_items", "end"}, map[string]node{
		"start":         {kind: graph.Foreach, out: ss{"split"}, join: "join_items"},
		"split":         {kind: graph.Split, out: ss{"a", "b"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"split"}, join: "join_branches", inside: true, depth: 1},
		"a":             {kind: graph.Linear, out: ss{"join_branches"}, in: ss{"split"}, parents: ss{"start", "split"}, branches: ss{"split", "a"}, inside: true, depth: 1},
		"b":             {kind: graph.Linear, out: ss{"join_branches"}, in: ss{"split"}, parents: ss{"start", "split"}, branches: ss{"split", "b"}, inside: true, depth: 1},
		"join_branches": {kind: graph.Join, out: ss{"join_items"}, in: ss{"a", "b"}, parents: ss{"start", "split"}, branches: ss{"split", ""}, inside: true, depth: 1},
		"join_items":    {kind: graph.Join, out: ss{"end"}, in: ss{"join_branches"}, parents: ss{"start"}, branches: ss{""}},
		"end":           {kind: graph.End, in: ss{"join_items"}},
	})
}

func TestForeachInBranch(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().
		Step("start", fn, branch("x", "y")).
		Step("x", fn, foreach("Items", "body")).
		Step("body", fn, next("join_x")).
		Join("join_x", jn, next("join")).
		Step("y", fn, next("join")).
		Join("join", jn, next("end")).
		Step("end", fn))
	checkGraph(t, def, ss{"start", "x", "body", "join_x", "y", "join", "end"}, map[string]node{
		"start":  {kind: graph.Split, out: ss{"x", "y"}, join: "join"},
		"x":      {kind: graph.Foreach, out: ss{"body"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"x"}, join: "join_x"},
		"body":   {kind: graph.Linear, out: ss{"join_x"}, in: ss{"x"}, parents: ss{"start", "x"}, branches: ss{"x", "body"}, inside: true, depth: 1},
		"join_x": {kind: graph.Join, out: ss{"join"}, in: ss{"body"}, parents: ss{"start", "x"}, branches: ss{"x", ""}},
		"y":      {kind: graph.Linear, out: ss{"join"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"y"}},
		"join":   {kind: graph.Join, out: ss{"end"}, in: ss{"join_x", "y"}, parents: ss{"start"}, branches: ss{""}},
		"end":    {kind: graph.End, in: ss{"join"}},
	})
}

func TestSwitch(t *testing.T) {
	// Out follows case order: case values sorted ("a" < "z").
	def := flow.MustDefinitionOf(newFlow().
		Step("start", fn, stepflow.Switch("Mode", cases("z", "p", "a", "q"))).
		Step("p", fn, next("after")).
		Step("q", fn, next("after")).
		Step("after", fn, next("end")).
		Step("end", fn))
	checkGraph(t, def, ss{"start", "p", "q", "after", "end"}, map[string]node{
		"start": {kind: graph.Switch, out: ss{"q", "p"}},
		"p":     {kind: graph.Linear, out: ss{"after"}, in: ss{"start"}},
		"q":     {kind: graph.Linear, out: ss{"after"}, in: ss{"start"}},
		"after": {kind: graph.Linear, out: ss{"end"}, in: ss{"p", "q"}},
		"end":   {kind: graph.End, in: ss{"after"}},
	})
	tr := def.Step("start").Transition
	if tr.Field != "Mode" || len(tr.Cases) != 2 || tr.Cases[0] != (flow.Case{Value: "a", Target: "q"}) {
		t.Errorf("switch transition = %+v", tr)
	}
}

func TestSwitchInForeach(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().
		Step("start", fn, foreach("Items", "pick")).
		Step("pick", fn, stepflow.Switch("Mode", cases("x", "p", "y", "q"))).
		Step("p", fn, next("after")).
		Step("q", fn, next("after")).
		Step("after", fn, next("join")).
		Join("join", jn, next("end")).
		Step("end", fn))
	in1 := node{kind: graph.Linear, out: ss{"after"}, in: ss{"pick"}, parents: ss{"start"}, branches: ss{"pick"}, inside: true, depth: 1}
	checkGraph(t, def, ss{"start", "pick", "p", "q", "after", "join", "end"}, map[string]node{
		"start": {kind: graph.Foreach, out: ss{"pick"}, join: "join"},
		"pick":  {kind: graph.Switch, out: ss{"p", "q"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"pick"}, inside: true, depth: 1},
		"p":     in1,
		"q":     in1,
		"after": {kind: graph.Linear, out: ss{"join"}, in: ss{"p", "q"}, parents: ss{"start"}, branches: ss{"pick"}, inside: true, depth: 1},
		"join":  {kind: graph.Join, out: ss{"end"}, in: ss{"after"}, parents: ss{"start"}, branches: ss{""}},
		"end":   {kind: graph.End, in: ss{"join"}},
	})
}

// A switch inside a branch: the cases meet again before the branch's join.
func TestSwitchInBranch(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().
		Step("start", fn, branch("a", "b")).
		Step("a", fn, stepflow.Switch("Mode", cases("x", "p", "y", "q"))).
		Step("p", fn, next("join")).
		Step("q", fn, next("join")).
		Step("b", fn, next("join")).
		Join("join", jn, next("end")).
		Step("end", fn))
	checkGraph(t, def, ss{"start", "a", "p", "q", "b", "join", "end"}, map[string]node{
		"start": {kind: graph.Split, out: ss{"a", "b"}, join: "join"},
		"a":     {kind: graph.Switch, out: ss{"p", "q"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"a"}},
		"p":     {kind: graph.Linear, out: ss{"join"}, in: ss{"a"}, parents: ss{"start"}, branches: ss{"a"}},
		"q":     {kind: graph.Linear, out: ss{"join"}, in: ss{"a"}, parents: ss{"start"}, branches: ss{"a"}},
		"b":     {kind: graph.Linear, out: ss{"join"}, in: ss{"start"}, parents: ss{"start"}, branches: ss{"b"}},
		"join":  {kind: graph.Join, out: ss{"end"}, in: ss{"p", "q", "b"}, parents: ss{"start"}, branches: ss{""}},
		"end":   {kind: graph.End, in: ss{"join"}},
	})
}

func TestNewReturnsLintError(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().Step("start", fn, next("nowhere")).Step("end", fn))
	g, err := graph.New(def)
	if g != nil {
		t.Errorf("graph.New returned a graph with an error")
	}
	var le *graph.LintError
	if !errors.As(err, &le) {
		t.Fatalf("err = %T %v, want *graph.LintError", err, err)
	}
	if le.Flow != "TestFlow" || len(le.Violations) != 1 {
		t.Fatalf("LintError = %+v", le)
	}
	v := le.Violations[0]
	if v.Step != "start" || v.Rule != "unknown-target" || v.Fix == "" || v.Problem == "" {
		t.Errorf("violation = %+v", v)
	}
	want := `flow TestFlow has 1 problem:
  step "start": next targets unknown step "nowhere"; use one of: end, start [unknown-target]`
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err.Error(), want)
	}
}

func TestKindString(t *testing.T) {
	want := map[graph.Kind]string{graph.Linear: "linear", graph.Split: "split", graph.Foreach: "foreach",
		graph.Switch: "switch", graph.Join: "join", graph.End: "end"}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), s)
		}
	}
}
