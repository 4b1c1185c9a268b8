package graphtext_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/graphtext"
)

// st is the state of the test flows.
type st struct {
	Items []int
	Mode  string
	Count int
	Data  map[string]int
	Err   string
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

// renderGraph has every node kind: a branch with a foreach in one branch
// and a switch in the other, options, parameters, a config and a schedule.
func renderGraph(t *testing.T) *graph.Graph {
	t.Helper()
	def := flow.MustDefinitionOf(stepflow.New[st]("RenderFlow").
		Param("mode", "x", "which way").
		Param("count", 3, "how many").
		Param("label", "", "a label", stepflow.Field("Tag")).
		Param("wait", 90*time.Second, "pause").
		Config("settings", "conf/s.json", "the settings", stepflow.Field("Data")).
		Step("start", fn, branch("fan", "pick"), stepflow.Env{"B": "2", "A": "1"}).
		Step("fan", fn, foreach("Items", "work")).
		Step("work", fn, next("join_fan"), stepflow.Retry(2, time.Second).WithBackoff(2), stepflow.Timeout(time.Hour),
			stepflow.Resources{CPU: 2, Memory: "4GiB", GPU: 1}, stepflow.Batch{Image: "img:1"}).
		Join("join_fan", jn, next("join")).
		Step("pick", fn, stepflow.Switch("Mode", cases("x", "p", "y", "q", "say \"hi\"", "q"))).
		Step("p", fn, next("join"), stepflow.Catch("Err")).
		Step("q", fn, next("join")).
		Join("join", jn, next("end")).
		Step("end", fn).
		Schedule("0 3 * * *", "Europe/Paris"))
	g, err := graph.New(def)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

const wantText = `flow RenderFlow

steps:
  start       branch -> fan, pick  [env A,B]
    fan       foreach Items -> work
      work    -> join_fan  [retry 2 after 1s x2, timeout 1h0m0s, cpu 2, memory 4GiB, gpu 1, base image img:1]
    join_fan  join of fan -> join
    pick      switch Mode {say "hi": q, x: p, y: q}
    p         -> join  [catch Err]
    q         -> join
  join        join of start -> end
  end         end

parameters:
  --mode string (default x) -> Mode: which way
  --count int (default 3) -> Count: how many
  --label string (default "") -> Tag: a label
  --wait duration (default 1m30s) -> Wait: pause

configs:
  --config settings=conf/s.json -> Data: the settings

schedule: 0 3 * * * (Europe/Paris)

on AWS:
  step work runs as a Step Functions Map, not as AWS Batch array jobs: its retry waits 1s between attempts (stepflow.Retry(2, 1s)) and AWS Batch retries an array job's child at once; give it stepflow.Retry(2, 0) to run it as array jobs
`

const wantMermaid = `flowchart TD
    s_start[/"start<br/>branch<br/>env A,B"/]
    s_fan[["fan<br/>foreach Items"]]
    subgraph each_fan["for each item of Items: runs once per item"]
        s_work(["work<br/>retry 2 after 1s x2, timeout 1h0m0s, cpu 2, memory 4GiB, gpu 1, base image img:1"])
    end
    s_join_fan[\"join_fan<br/>join of foreach fan"\]
    s_pick{"pick<br/>switch Mode"}
    s_p(["p<br/>catch Err"])
    s_q(["q"])
    s_join[\"join<br/>join of start"\]
    s_end(["end"])
    s_start --> s_fan
    s_start --> s_pick
    s_fan -->|"foreach Items"| s_work
    s_work --> s_join_fan
    s_join_fan --> s_join
    s_pick -->|"Mode = say #quot;hi#quot; | y"| s_q
    s_pick -->|"Mode = x"| s_p
    s_p --> s_join
    s_q --> s_join
    s_join --> s_end
`

const wantDot = `digraph "RenderFlow" {
    rankdir=TB;
    graph [fontname="Helvetica", fontsize=11];
    node [fontname="Helvetica", fontsize=11, shape=box, style=rounded];
    edge [fontname="Helvetica", fontsize=10];
    "start" [label="start\nbranch\nenv A,B", shape=trapezium, style=solid];
    "fan" [label="fan\nforeach Items", shape=trapezium, style="solid,bold", peripheries=2];
    subgraph "cluster_fan" {
        label="for each item of Items: runs once per item"; style=dashed; labeljust=l;
        "work" [label="work\nretry 2 after 1s x2, timeout 1h0m0s, cpu 2, memory 4GiB, gpu 1, base image img:1"];
    }
    "join_fan" [label="join_fan\njoin of foreach fan", shape=invtrapezium, style=solid];
    "pick" [label="pick\nswitch Mode", shape=diamond, style=solid];
    "p" [label="p\ncatch Err"];
    "q" [label="q"];
    "join" [label="join\njoin of start", shape=invtrapezium, style=solid];
    "end" [label="end"];
    "start" -> "fan";
    "start" -> "pick";
    "fan" -> "work" [label="foreach Items"];
    "work" -> "join_fan";
    "join_fan" -> "join";
    "pick" -> "q" [label="Mode = say \"hi\" | y"];
    "pick" -> "p" [label="Mode = x"];
    "p" -> "join";
    "q" -> "join";
    "join" -> "end";
}
`

func TestRender(t *testing.T) {
	g := renderGraph(t)
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer, *graph.Graph) error
		want  string
	}{
		{"text", func(b *bytes.Buffer, g *graph.Graph) error { return graphtext.WriteText(b, g) }, wantText},
		{"mermaid", func(b *bytes.Buffer, g *graph.Graph) error { return graphtext.WriteMermaid(b, g) }, wantMermaid},
		{"dot", func(b *bytes.Buffer, g *graph.Graph) error { return graphtext.WriteDot(b, g) }, wantDot},
	} {
		var b bytes.Buffer
		if err := tc.write(&b, g); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if b.String() != tc.want {
			t.Errorf("%s output:\n%s\nwant:\n%s", tc.name, b.String(), tc.want)
		}
		// Rendering is deterministic.
		var b2 bytes.Buffer
		tc.write(&b2, g)
		if b2.String() != b.String() {
			t.Errorf("%s: two renderings differ", tc.name)
		}
	}
}

// A step named like a Mermaid keyword does not break the flowchart.
func TestMermaidKeywords(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().Step("start", fn, next("style")).Step("style", fn, next("class")).
		Step("class", fn, next("end")).Step("end", fn))
	g, err := graph.New(def)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	graphtext.WriteMermaid(&b, g)
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
		if !strings.HasPrefix(strings.TrimSpace(line), "s_") {
			t.Errorf("line %q does not start with a prefixed id", line)
		}
	}
}

// show says when a foreach over one step stays a Step Functions Map on AWS
// because of its body's options, and only then.
func TestTextArrayJobNote(t *testing.T) {
	for _, c := range []struct {
		opts []stepflow.StepOption
		want string
	}{
		{[]stepflow.StepOption{next("join"), stepflow.Retry(2, time.Second)}, "\non AWS:\n  step work runs as a Step Functions Map, not as AWS Batch array jobs: its retry waits 1s between attempts (stepflow.Retry(2, 1s))"},
		{[]stepflow.StepOption{next("join"), stepflow.Retry(2, 0)}, ""},
		{[]stepflow.StepOption{next("join")}, ""},
	} {
		g, err := graph.New(flow.MustDefinitionOf(newFlow().
			Step("start", fn, foreach("Items", "work")).
			Step("work", fn, c.opts...).
			Join("join", jn, next("end")).
			Step("end", fn)))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := graphtext.WriteText(&b, g); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); (c.want == "") != !strings.Contains(got, "on AWS:") || !strings.Contains(got, c.want) {
			t.Errorf("show:\n%s\nwant %q", got, c.want)
		}
	}
}
