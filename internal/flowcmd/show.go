package flowcmd

import (
	"context"
	"flag"
	"io"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/usage"
)

func cmdShow(f *Flow) *command.Command {
	var format string
	return &command.Command{
		Name:      "show",
		UsageLine: "show [--format text|mermaid|dot|svg]",
		Short:     "print the flow's graph",
		Long: `Show prints the flow's graph: as readable text (the default), as a Mermaid
flowchart, as a Graphviz dot digraph (render with: dot -Tsvg), or as an SVG
image drawn by Stepflow itself (no Graphviz needed): branches side by side
between their split and join, foreach bodies boxed as "× FIELD" groups.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&format, "format", "text", "output format: text, mermaid, dot or svg")
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("show takes no arguments, got %q", args)
			}
			var render func(io.Writer, *graph.Graph) error
			switch format {
			case "text":
				render = graph.WriteText
			case "mermaid":
				render = graph.WriteMermaid
			case "dot":
				render = graph.WriteDot
			case "svg":
				render = func(w io.Writer, g *graph.Graph) error { return graph.WriteSVG(w, g.Shape(), graph.SVGOptions{}) }
			default:
				return usage.Errorf("show: unknown format %q; use text, mermaid, dot or svg", format)
			}
			g, err := f.Graph()
			if err != nil {
				return err
			}
			return render(env.Stdout, g)
		},
	}
}
