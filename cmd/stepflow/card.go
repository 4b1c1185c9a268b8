package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/cardhtml"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/defaultcard"
	"github.com/stepflow/stepflow/internal/inspect"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/usage"
)

// cmdCard is `stepflow card view`: a task's card as one self-contained
// HTML document (package cardhtml), or as its stored JSON. It is here, in
// the inspector, rather than in package inspect, because flow binaries
// link that package and must not link the renderer.
func cmdCard(root *inspect.Root) *command.Command {
	sc := inspect.Scope{Root: root}
	var (
		attempt int
		out     string
		asJSON  bool
		dflt    bool
	)
	form := sc.TaskForm()
	view := &command.Command{
		Name:      "view",
		UsageLine: "view [-o FILE] [--attempt N] [--json] [--default] [--datastore-root ROOT] " + form,
		Short:     "write a task's card as one self-contained HTML file",
		Long: `View writes the card a task's step filled through c.Card() (Markdown, tables,
images, charts) as one self-contained HTML document: styles inline, images as
data: URLs, charts as SVG, no script, under a Content-Security-Policy that
forbids anything else. Markdown is CommonMark with GitHub's pipe tables; raw
HTML in it shows as text. It goes to standard output, or to FILE with -o. The
attempt is the latest finished one unless --attempt N (0 for the first) is
given. With --json it writes the card as stored instead (docs/cards.md).
With --default it writes the task's default card instead, which every task
has without code: its status and timings, the run's parameters, its
artifacts with their summaries (dropped ones marked) and the step's place in
the graph, built from the stored records (docs/cards.md). RUN
may be "latest" (the newest run) or "latest-successful" (the newest that
succeeded).`,
		Flags: func(fs *flag.FlagSet) {
			root.Register(fs)
			fs.StringVar(&out, "o", "", "write to this file instead of standard output")
			fs.StringVar(&out, "output", "", "the same as -o")
			fs.IntVar(&attempt, "attempt", -1, "attempt number (0 for the first); default: the latest finished")
			fs.BoolVar(&asJSON, "json", false, "write the card's stored JSON instead of HTML")
			fs.BoolVar(&dflt, "default", false, "write the task's default card (built from its records) instead of the card its step filled")
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) != 1 {
				return usage.Errorf("card view takes one %s, got %d arguments; run '%s card view --help'", form, len(args), env.Invocation())
			}
			in, ps, err := sc.OpenTask(ctx, env, args[0])
			if err != nil {
				return err
			}
			return viewCard(ctx, in, ps, attempt, out, asJSON, dflt)
		},
	}
	return &command.Command{
		Name:      "card",
		UsageLine: "card view [-o FILE] " + form,
		Short:     "show the card (report) a task made",
		Long:      "Card works with the cards steps fill through c.Card(): 'card view' writes one as an HTML file.",
		Commands:  []*command.Command{view},
	}
}

// viewCard writes the card of a task attempt (attempt < 0: the latest
// finished) as one self-contained HTML document, or as its stored JSON,
// to the file out ("" or "-": standard output).
func viewCard(ctx context.Context, in *inspect.Inspector, ps pathspec.Pathspec, attempt int, out string, asJSON, dflt bool) error {
	t, err := in.Task(ctx, ps, attempt)
	if err != nil {
		return err
	}
	if !t.HasCard() && !dflt {
		return usage.Errorf("task %s (attempt %d) has no card: its step added nothing to c.Card(); see its default card with 'card view --default', or the task with its logs and dump commands", t.Pathspec(), t.Attempt)
	}
	k, what, err := taskCard(ctx, in, t, dflt)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if asJSON {
		data, err := json.MarshalIndent(k, "", "  ")
		if err != nil {
			return fmt.Errorf("card of %s: %w", t.Pathspec(), err)
		}
		b.Write(append(data, '\n'))
	} else if err := cardhtml.Write(&b, k, fmt.Sprintf("%s (attempt %d) %s", t.Pathspec(), t.Attempt, what)); err != nil {
		return fmt.Errorf("card of %s: %w", t.Pathspec(), err)
	}
	if out == "" || out == "-" {
		_, err := in.Stdout.Write(b.Bytes())
		return err
	}
	if err := writeFileAtomic(out, b.Bytes()); err != nil {
		return usage.Errorf("write the card to %s: %v; give -o a path in a writable directory", out, err)
	}
	fmt.Fprintf(in.Stderr, "wrote the %s of %s (attempt %d) to %s\n", what, t.Pathspec(), t.Attempt, out)
	return nil
}

// taskCard returns the card of t its step filled, or with dflt its
// default card, and which one it is ("card", "default card").
func taskCard(ctx context.Context, in *inspect.Inspector, t *client.Task, dflt bool) (*card.Card, string, error) {
	if !dflt {
		k, err := t.Card(ctx)
		return k, "card", err
	}
	run, err := in.Flow.Run(ctx, t.Run)
	if err != nil {
		return nil, "", err
	}
	k, err := defaultcard.Build(ctx, run, t, defaultcard.Attempts(ctx, run, t))
	return k, "default card", err
}

// writeFileAtomic writes data to name through a temporary file in the same
// directory, so name is never half-written.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".card-*.html")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(f.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(f.Name(), name)
	}
	if werr != nil {
		os.Remove(f.Name())
	}
	return werr
}
