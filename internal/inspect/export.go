package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/usage"
)

// export writes the named artifacts of t to dir, one file each, in formats
// other tools read: a numeric array (a numeric slice, rectangular nested
// slices of them, or []byte) as NAME.npy, which numpy.load reads; any
// other value as NAME.json. It prints one line per file.
func (in *Inspector) export(ctx context.Context, t *client.Task, names []string, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usage.Errorf("--export %s: %v; give a directory that can be created", dir, err)
	}
	for _, n := range names {
		if s, err := t.Summary(ctx, n); err != nil {
			return err
		} else if s.Encoding == artifact.File {
			// A file is copied as it is, streamed.
			path := filepath.Join(dir, n)
			if err := exportFile(ctx, t, n, path); err != nil {
				return fmt.Errorf("export artifact %s of %s: %w", n, t.Pathspec(), err)
			}
			fmt.Fprintf(in.Stdout, "%s: %s (file, %d bytes)\n", n, path, s.Size)
			continue
		}
		a, err := t.Artifact(ctx, n)
		if err != nil {
			return err
		}
		npy, err := asNPY(a)
		if err != nil {
			return fmt.Errorf("export artifact %s of %s: %w", n, t.Pathspec(), err)
		}
		var path, what string
		if npy != nil {
			path, what = filepath.Join(dir, n+".npy"), fmt.Sprintf("%s array of shape %v", npy.DType, npy.Shape)
			err = writeFile(path, npy.WriteTo)
		} else {
			var buf bytes.Buffer
			if err := json.Indent(&buf, a.JSON(), "", "  "); err != nil {
				return fmt.Errorf("export artifact %s of %s: %w", n, t.Pathspec(), err)
			}
			buf.WriteByte('\n')
			path, what = filepath.Join(dir, n+".json"), "JSON"
			err = writeFile(path, buf.WriteTo)
		}
		if err != nil {
			return fmt.Errorf("export artifact %s of %s: %w", n, t.Pathspec(), err)
		}
		fmt.Fprintf(in.Stdout, "%s: %s (%s)\n", n, path, what)
	}
	return nil
}

func exportFile(ctx context.Context, t *client.Task, name, path string) error {
	rc, _, err := t.Open(ctx, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	return writeFile(path, func(w io.Writer) (int64, error) { return io.Copy(w, rc) })
}

// asNPY returns the artifact as an array, or nil when it is not one.
func asNPY(a *client.Artifact) (*artifact.NPY, error) {
	data := a.Bytes()
	switch a.Encoding {
	case artifact.Bytes:
		npy, _ := artifact.AsNPY(&artifact.Array{DType: artifact.Uint8, Len: len(data), Data: data})
		return npy, nil
	case artifact.Binary:
		tree, err := artifact.ReadTree(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, err
		}
		npy, _ := artifact.AsNPY(tree)
		return npy, nil
	}
	return nil, nil
}

func writeFile(path string, write func(w io.Writer) (int64, error)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
