package datastore

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Logs holds the output streams ("stdout" and "stderr") of a flow's
// attempts: "<attempt dir>/<stream>.log", saved whole when the attempt
// ends, and, while it runs, "<attempt dir>/<stream>.part-<n>", the
// output saved so far in parts (logpart.go). Each object is written once.
// It is safe for concurrent use.
type Logs struct {
	layout
}

// logName returns the name of a stream's final log, "<stream>.log", or
// an error for a stream other than "stdout" and "stderr".
func logName(stream string) (string, error) {
	if stream != "stdout" && stream != "stderr" {
		return "", fmt.Errorf("invalid log stream %q: want \"stdout\" or \"stderr\"", stream)
	}
	return stream + ".log", nil
}

// Put stores one output stream ("stdout" or "stderr") of an attempt.
func (lg *Logs) Put(ctx context.Context, run, step, task string, attempt int, stream string, rd io.Reader) error {
	dir, err := lg.attemptDir(run, step, task, attempt)
	if err != nil {
		return fmt.Errorf("put log: %w", err)
	}
	file, err := logName(stream)
	if err != nil {
		return fmt.Errorf("put log: %w", err)
	}
	if err := lg.b.Save(ctx, dir+file, rd); err != nil {
		return fmt.Errorf("put log: %w", err)
	}
	return nil
}

// Open opens one output stream ("stdout" or "stderr") of an attempt: the
// log saved when the attempt ended or, while it runs (or when its
// supervisor died), the parts saved so far (PutPart) joined in order,
// which is the output up to the last part. A log with neither wraps
// ErrNotFound. The caller closes the reader.
func (lg *Logs) Open(ctx context.Context, run, step, task string, attempt int, stream string) (io.ReadCloser, error) {
	dir, err := lg.attemptDir(run, step, task, attempt)
	if err != nil {
		return nil, fmt.Errorf("get log: %w", err)
	}
	file, err := logName(stream)
	if err != nil {
		return nil, fmt.Errorf("get log: %w", err)
	}
	rc, err := lg.b.Load(ctx, dir+file)
	if err == nil {
		return rc, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("get log: %w", err)
	}
	parts, lerr := lg.logParts(ctx, dir, stream)
	if lerr != nil {
		return nil, fmt.Errorf("get log: %w", lerr)
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("get log: %w", err)
	}
	return &partsReader{ctx: ctx, b: lg.b, names: parts}, nil
}
