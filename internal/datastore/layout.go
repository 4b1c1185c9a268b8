package datastore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// layout is one flow's part of a datastore: the Backend and the names of
// the flow's objects under "<flow>/" (docs/datastore.md, "Layout"), with
// the checksummed record I/O every part of a Store shares. Each part
// embeds it; it holds no state of its own.
type layout struct {
	b    Backend
	flow string
}

// checkElem validates one path element (flow, run id, step, task id).
func checkElem(kind, v string) error {
	if v == "" || strings.ContainsAny(v, "/\\\x00") || strings.HasPrefix(v, ".") {
		return fmt.Errorf("invalid %s %q: must be non-empty, without '/', '\\' or a leading '.'", kind, v)
	}
	return nil
}

// runDir returns "<flow>/runs/<run>/".
func (l layout) runDir(run string) (string, error) {
	if err := checkElem("flow name", l.flow); err != nil {
		return "", err
	}
	if err := checkElem("run id", run); err != nil {
		return "", err
	}
	return l.flow + "/runs/" + run + "/", nil
}

// attemptDir returns "<flow>/runs/<run>/<step>/<task>/<attempt>/".
func (l layout) attemptDir(run, step, task string, attempt int) (string, error) {
	dir, err := l.runDir(run)
	if err != nil {
		return "", err
	}
	if err := checkElem("step name", step); err != nil {
		return "", err
	}
	if err := checkElem("task id", task); err != nil {
		return "", err
	}
	if attempt < 0 {
		return "", fmt.Errorf("invalid attempt %d: must be >= 0", attempt)
	}
	return dir + step + "/" + task + "/" + strconv.Itoa(attempt) + "/", nil
}

// blobKey returns "<flow>/blobs/<hash[:2]>/<hash>"; hash is checked by
// the caller (checkHash).
func (l layout) blobKey(hash string) string {
	return l.flow + "/blobs/" + hash[:2] + "/" + hash
}

// indexKey is the name of a run's entry in the flow's run index.
func (l layout) indexKey(run string) string { return l.flow + "/index/" + run }

// putJSON writes v as a record (record.go) under key.
func (l layout) putJSON(ctx context.Context, key string, v any) error {
	data, err := encodeRecord(v)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := l.b.Save(ctx, key, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// maxRecordSize bounds what getJSON reads of a record: the largest, an
// attempt record of a join of a million inputs, is about 64 MiB; a larger
// object is damage (an edit, another file written over it), refused
// before it is read.
const maxRecordSize = 256 << 20

// getJSON reads the record under key into v, checking its checksum: a
// damaged record wraps ErrCorrupt, a missing one ErrNotFound.
func (l layout) getJSON(ctx context.Context, key string, v any) error {
	rc, err := l.b.Load(ctx, key)
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	defer rc.Close()
	var r io.Reader = rc
	if sz, ok := rc.(Sizer); ok && sz.Size() > maxRecordSize {
		return fmt.Errorf("get %s: %w: %d bytes, more than any record holds (%d MiB)", key, ErrCorrupt, sz.Size(), maxRecordSize>>20)
	} else if !ok {
		r = io.LimitReader(rc, maxRecordSize+1) // a size known is read in one buffer
	}
	data, err := readObject(r)
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	if len(data) > maxRecordSize {
		return fmt.Errorf("get %s: %w: more than any record holds (%d MiB)", key, ErrCorrupt, maxRecordSize>>20)
	}
	if err := decodeRecord(data, v); err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	return nil
}
