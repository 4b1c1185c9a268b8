package inspect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/usage"
)

// export writes the named artifacts of t to dir, one file each, as
// OpenExport gives them (a numeric array as NAME.npy, a File as its own
// bytes under NAME and its extension, anything else as NAME.json). It
// prints one line per file.
func (in *Inspector) export(ctx context.Context, t *client.Task, names []string, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usage.Errorf("--export %s: %v; give a directory that can be created", dir, err)
	}
	for _, n := range names {
		e, err := OpenExport(ctx, t, n)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, e.DirName)
		err = writeFile(path, e.WriteTo)
		e.Close()
		if err != nil {
			return fmt.Errorf("export artifact %s of %s: %w", n, t.Pathspec(), err)
		}
		fmt.Fprintf(in.Stdout, "%s: %s (%s)\n", n, path, e.What)
	}
	return nil
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
