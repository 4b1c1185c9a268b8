package graphsvg_test

import (
	"bytes"
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/graphsvg"
)

// st is the state of the test flow.
type st struct {
	Items []int
	Mode  string
}

func fn(*st, *stepflow.Context) error        { return nil }
func jn(*st, *stepflow.Context, []*st) error { return nil }

// renderGraph has every node kind: a branch with a foreach in one branch
// and a switch in the other.
func renderGraph(t *testing.T) *graph.Graph {
	t.Helper()
	def := flow.MustDefinitionOf(stepflow.New[st]("RenderFlow").
		Step("start", fn, stepflow.Branch("fan", "pick")).
		Step("fan", fn, stepflow.Foreach("Items", "work")).
		Step("work", fn, stepflow.Next("join_fan")).
		Join("join_fan", jn, stepflow.Next("join")).
		Step("pick", fn, stepflow.Switch("Mode", stepflow.Cases{"x": "p", "y": "q", "say \"hi\"": "q"})).
		Step("p", fn, stepflow.Next("join")).
		Step("q", fn, stepflow.Next("join")).
		Join("join", jn, stepflow.Next("end")).
		Step("end", fn))
	g, err := graph.New(def)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// svgNode is a drawn step: its name and the top left of its box.
type svgNode struct{ x, y float64 }

func drawnNodes(t *testing.T, svg string) map[string]svgNode {
	t.Helper()
	re := regexp.MustCompile(`data-step="([^"]+)">(?:<a [^>]*>)?<title>[^<]*</title><rect x="([0-9.]+)" y="([0-9.]+)"`)
	nodes := map[string]svgNode{}
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.ParseFloat(m[2], 64)
		y, _ := strconv.ParseFloat(m[3], 64)
		if _, dup := nodes[m[1]]; dup {
			t.Errorf("step %s drawn twice", m[1])
		}
		nodes[m[1]] = svgNode{x, y}
	}
	return nodes
}

func TestWriteLayout(t *testing.T) {
	g := renderGraph(t)
	var b bytes.Buffer
	if err := graphsvg.Write(&b, g.Shape(), graphsvg.Options{}); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	// Well-formed XML.
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed XML: %v\n%s", err, svg)
			}
			break
		}
	}
	nodes := drawnNodes(t, svg)
	if len(nodes) != len(g.Order) {
		t.Fatalf("drew %d steps, want %d: %v", len(nodes), len(g.Order), nodes)
	}
	// Series: each step below the one before it on its path.
	for _, pair := range [][2]string{{"start", "fan"}, {"fan", "work"}, {"work", "join_fan"}, {"join_fan", "join"}, {"pick", "p"}, {"join", "end"}} {
		if nodes[pair[0]].y >= nodes[pair[1]].y {
			t.Errorf("%s (y=%v) is not above %s (y=%v)", pair[0], nodes[pair[0]].y, pair[1], nodes[pair[1]].y)
		}
	}
	// Parallel: the branches of start side by side, the switch cases too.
	if nodes["fan"].y != nodes["pick"].y || nodes["fan"].x >= nodes["pick"].x {
		t.Errorf("branches fan %v and pick %v are not side by side, in declaration order", nodes["fan"], nodes["pick"])
	}
	if nodes["p"].y != nodes["q"].y || nodes["p"].x == nodes["q"].x {
		t.Errorf("switch cases p %v and q %v are not side by side", nodes["p"], nodes["q"])
	}
	// The foreach body is one group; labels are escaped.
	if n := strings.Count(svg, `class="sf-group"`); n != 1 {
		t.Errorf("%d foreach groups, want 1", n)
	}
	if !strings.Contains(svg, "× Items") || !strings.Contains(svg, "Mode = say &#34;hi&#34; | y") {
		t.Errorf("missing the foreach group label or the escaped switch label:\n%s", svg)
	}
}

func TestWriteMarks(t *testing.T) {
	g := renderGraph(t)
	var b bytes.Buffer
	err := graphsvg.Write(&b, g.Shape(), graphsvg.Options{
		Marks:   map[string]graphsvg.StepMark{"work": {Class: "failed", Text: "2/3 <done>"}},
		Widths:  map[string]string{"fan": "×3"},
		Link:    func(s string) string { return "/x?s=" + s + "&a=1" },
		NoStyle: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	for _, want := range []string{`class="sf-node k-linear s-failed" data-step="work"`, "2/3 &lt;done&gt;", "×3", `href="/x?s=work&amp;a=1"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("missing %q in\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "<style>") {
		t.Error("NoStyle drawing has a <style> element")
	}
}
