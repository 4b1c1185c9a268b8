package flowcmd_test

import (
	"bytes"
	"html"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDotRendersWithGraphviz renders `show --format dot` of every example
// with Graphviz. It fails, not skips, without the dot command: the test
// command (scripts/test.sh) installs Graphviz.
func TestDotRendersWithGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Fatalf("Graphviz is not installed (%v); install the graphviz package, or run bash scripts/test.sh, which does", err)
	}
	if len(examples) == 0 {
		t.Fatal("no examples found")
	}
	for _, e := range examples {
		t.Run(e, func(t *testing.T) {
			src, err := exec.Command(filepath.Join(binDir, e), "show", "--format", "dot").Output()
			if err != nil {
				t.Fatalf("%s show --format dot: %v", e, err)
			}
			cmd := exec.Command(dot, "-Tsvg")
			cmd.Stdin = bytes.NewReader(src)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			svg, err := cmd.Output()
			if err != nil {
				t.Fatalf("dot -Tsvg: %v\n%s\ninput:\n%s", err, stderr.String(), src)
			}
			if stderr.Len() > 0 {
				t.Errorf("dot -Tsvg warned:\n%s", stderr.String())
			}
			if !strings.Contains(string(svg), "<svg") {
				t.Errorf("dot -Tsvg produced no <svg element:\n%.300s", svg)
			}
			// Every step is drawn.
			for _, line := range strings.Split(string(src), "\n") {
				if name, ok := strings.CutSuffix(strings.TrimSpace(line), "];"); ok && strings.Contains(name, "[label=") {
					label := name[strings.Index(name, "[label=\"")+len("[label=\""):]
					label = label[:strings.Index(label, "\"")]
					for _, part := range strings.Split(label, `\n`) { // one <text> per line
						part = strings.ReplaceAll(html.EscapeString(part), "-", "&#45;") // as Graphviz writes it
						if !strings.Contains(string(svg), ">"+part+"</text>") {
							t.Errorf("label line %q is not in the SVG", part)
						}
					}
				}
			}
		})
	}
}
