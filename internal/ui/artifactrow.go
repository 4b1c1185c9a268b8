package ui

import (
	"context"
	"errors"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/inspect"
)

// artifactRow is the row of one artifact in a task's table: a preview of
// a value up to previewFrom bytes, the summary of a larger one (read from
// its first bytes, so a 256 MiB array costs what an int does), or, when
// its blob is damaged or missing, that.
func artifactRow(ctx context.Context, t *client.Task, name string) (artifactView, error) {
	damaged := func(err error) bool {
		return errors.Is(err, client.ErrCorrupt) || errors.Is(err, client.ErrNotFound)
	}
	s, err := t.Summary(ctx, name)
	if damaged(err) {
		return artifactView{Name: name, Damaged: true, Preview: err.Error()}, nil
	}
	if err != nil {
		return artifactView{}, err
	}
	av := artifactView{Name: name, Type: s.Type, Encoding: s.Encoding, Size: s.Size}
	if s.Encoding == artifact.File {
		// A file is streamed: its first bytes, as text when it is text.
		e, err := inspect.OpenExport(ctx, t, name)
		if damaged(err) {
			av.Damaged, av.Preview = true, err.Error()
			return av, nil
		}
		if err != nil {
			return artifactView{}, err
		}
		defer e.Close()
		var more bool
		if av.Preview, more = filePreview(e, 160); more && e.Text {
			av.Preview += "…"
		}
		return av, nil
	}
	if s.Size > previewFrom {
		av.Preview = "<" + s.String() + ">"
		return av, nil
	}
	a, err := t.Artifact(ctx, name)
	if damaged(err) {
		av.Damaged, av.Preview = true, err.Error()
		return av, nil
	}
	if err != nil {
		return artifactView{}, err
	}
	av.Preview, _ = preview(a, 160)
	return av, nil
}

// previewFrom is the largest artifact a task's page reads whole for its
// preview.
const previewFrom = 64 << 10
