package flowcmd

import (
	"context"
	"flag"
	"io"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/graphtext"
	"github.com/stepflow/stepflow/internal/usage"
)

func cmdShow(f *Flow) *command.Command {
	var format string
	return &command.Command{
		Name:      "show",
		UsageLine: "show [--format text|mermaid|dot]",
		Short:     "print the flow's graph",
		Long: `Show prints the flow's graph: as readable text (the default), as a Mermaid
flowchart, or as a Graphviz dot digraph (render it with: dot -Tsvg). The SVG
drawing of the graph, with each step's state, is on a run's page in
'stepflow ui'.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&format, "format", "text", "output format: text, mermaid or dot")
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("show takes no arguments, got %q", args)
			}
			var render func(io.Writer, *graph.Graph) error
			switch format {
			case "text":
				render = graphtext.WriteText
			case "mermaid":
				render = graphtext.WriteMermaid
			case "dot":
				render = graphtext.WriteDot
			case "svg":
				// The SVG drawing is the viewers' (package graphsvg): a
				// flow binary, which every task process starts, does
				// not link it.
				return usage.Errorf("show: the flow binary does not draw SVG (the drawing is stepflow ui's, on each run's page); draw the graph with Graphviz:\n  %s show --format dot | dot -Tsvg > %s.svg", env.Invocation(), f.Def.Name)
			default:
				return usage.Errorf("show: unknown format %q; use text, mermaid or dot", format)
			}
			g, err := f.Graph()
			if err != nil {
				return err
			}
			return render(env.Stdout, g)
		},
	}
}
