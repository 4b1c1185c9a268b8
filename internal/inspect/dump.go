package inspect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/usage"
)

// summaryAbove is the encoded size above which dump, listing all of a
// task's artifacts, shows an artifact's summary instead of its value.
const summaryAbove = 1 << 20

// previewUpTo is the largest artifact whose summary shows its first
// elements (they need the value read).
const previewUpTo = 64 << 20

// Dump prints the artifacts of a task (attempt < 0: its latest finished
// attempt), or only the named one. With exportDir, it writes them to files
// there instead (see export).
//
// An artifact larger than summaryAbove is shown as its summary (type,
// length, size) unless full is set, in text and in JSON alike; with full
// it is streamed, never held as text (see dumpJSON).
func (in *Inspector) Dump(ctx context.Context, ps pathspec.Pathspec, attempt int, name string, asJSON, full bool, exportDir string) error {
	t, err := in.Task(ctx, ps, attempt)
	if err != nil {
		return err
	}
	if t.Status == client.StatusRunning {
		return usage.Errorf("task %s has no finished attempt yet, so no artifacts to show; wait for it, or read its output so far with the logs command",
			t.Pathspec())
	}
	if t.Status == client.StatusFailed {
		fmt.Fprintf(in.Stderr, "note: attempt %d of %s failed: %s\n", t.Attempt, t.Pathspec(), firstLine(t.Error))
	}
	names := t.Artifacts()
	if name != "" {
		names = []string{name}
	}
	if exportDir != "" {
		return in.export(ctx, t, names, exportDir)
	}
	if asJSON {
		return in.dumpJSON(ctx, t, names, name != "", full)
	}
	for _, n := range names {
		// A large value is summarised from its first bytes, not read,
		// or with full streamed.
		s, err := t.Summary(ctx, n)
		if errors.Is(err, client.ErrNotFound) {
			return usage.Errorf("%v; dump without ARTIFACT to see them all", err)
		}
		if err != nil {
			return err
		}
		if s.Size > summaryAbove && full {
			if name == "" {
				fmt.Fprintf(in.Stdout, "%s: ", n)
			}
			if err := writeFull(ctx, in.Stdout, t, s); err != nil {
				return err
			}
			fmt.Fprintln(in.Stdout)
			continue
		}
		if !full {
			if s.Size > summaryAbove {
				preview := ""
				if s.Size <= previewUpTo {
					if a, err := t.Artifact(ctx, n); err == nil {
						preview = " " + strings.Join(strings.Fields(a.String()), " ")
						if len(preview) > 200 {
							preview = preview[:200] + "…"
						}
					}
				}
				fmt.Fprintf(in.Stdout, "%s: <%s; dump --full shows it all>%s\n", n, s, preview)
				continue
			}
		}
		a, err := t.Artifact(ctx, n)
		if errors.Is(err, client.ErrNotFound) {
			return usage.Errorf("%v; dump without ARTIFACT to see them all", err)
		}
		if err != nil {
			return err
		}
		switch {
		case name != "" && full:
			fmt.Fprintln(in.Stdout, a.FullString())
			return nil
		case name != "":
			fmt.Fprintln(in.Stdout, a.String())
			return nil
		case full:
			fmt.Fprintf(in.Stdout, "%s: %s\n", n, a.FullString())
		default:
			fmt.Fprintf(in.Stdout, "%s: %s\n", n, a.String())
		}
	}
	if len(names) == 0 {
		fmt.Fprintf(in.Stderr, "task %s (attempt %d) has no artifacts\n", t.Pathspec(), t.Attempt)
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if s == "" {
		return "(no error recorded)"
	}
	return s
}
