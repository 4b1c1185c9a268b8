package datastore

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// A log part is a chunk of an output stream saved while the attempt runs,
// at "<attempt dir>/<stream>.part-<n>": n counts from 1, written with at
// least six digits ("stdout.part-000001"); part n+1 continues where part n
// ended, so the parts joined in order are the stream's output up to the
// last one. Parts are written once, like every object, and kept after the
// final log is saved.
const logPartInfix = ".part-"

func logPartName(stream string, part int) string {
	return fmt.Sprintf("%s%s%06d", stream, logPartInfix, part)
}

// PutPart stores part number part (from 1) of one output stream
// ("stdout" or "stderr") of an attempt that is still running: the bytes
// that followed part-1. Open joins the parts until the final log (Put)
// exists.
func (lg *Logs) PutPart(ctx context.Context, run, step, task string, attempt int, stream string, part int, rd io.Reader) error {
	dir, err := lg.attemptDir(run, step, task, attempt)
	if err != nil {
		return fmt.Errorf("put log part: %w", err)
	}
	if _, err := logName(stream); err != nil {
		return fmt.Errorf("put log part: %w", err)
	}
	if part < 1 {
		return fmt.Errorf("put log part: invalid part number %d: must be >= 1", part)
	}
	if err := lg.b.Save(ctx, dir+logPartName(stream, part), rd); err != nil {
		return fmt.Errorf("put log part: %w", err)
	}
	return nil
}

// logPartNumber parses "<stream>.part-<n>".
func logPartNumber(file string) (int, bool) {
	stream, num, ok := strings.Cut(file, logPartInfix)
	if !ok || (stream != "stdout" && stream != "stderr") || len(num) < 6 {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || fmt.Sprintf("%06d", n) != num {
		return 0, false
	}
	return n, true
}

// logParts lists the parts of stream in the attempt directory dir, in
// order: numerically (a seventh digit sorts after "999999"). A gap in the
// numbers ends the list, so that the parts returned are always a prefix
// of the output.
func (lg *Logs) logParts(ctx context.Context, dir, stream string) ([]string, error) {
	nums := map[int]string{}
	err := lg.b.List(ctx, dir+stream+logPartInfix, func(name string, _ int64) error {
		if n, ok := logPartNumber(strings.TrimPrefix(name, dir)); ok {
			nums[n] = name
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the log parts of %s%s: %w", dir, stream, err)
	}
	var names []string
	for n := 1; nums[n] != ""; n++ {
		names = append(names, nums[n])
	}
	return slices.Clip(names), nil
}

// partsReader reads log parts one after the other, opening each when the
// one before is read.
type partsReader struct {
	ctx   context.Context
	b     Backend
	names []string
	cur   io.ReadCloser
}

func (r *partsReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.names) == 0 {
				return 0, io.EOF
			}
			rc, err := r.b.Load(r.ctx, r.names[0])
			if err != nil {
				return 0, fmt.Errorf("read log part: %w", err)
			}
			r.cur, r.names = rc, r.names[1:]
		}
		n, err := r.cur.Read(p)
		if err == io.EOF {
			r.cur.Close()
			r.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			return n, fmt.Errorf("read log part: %w", err)
		}
		return n, nil
	}
}

func (r *partsReader) Close() error {
	if r.cur != nil {
		err := r.cur.Close()
		r.cur = nil
		return err
	}
	return nil
}
