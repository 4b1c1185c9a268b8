// Package datastore stores Stepflow runs, task attempts, logs and
// content-addressed artifact blobs on top of a narrow object Backend.
//
// A Store is one flow's part of a datastore. It holds its objects in
// parts, one per concern, each with its contract: Runs (run records and
// the run index), Attempts (attempt records, the attempt index, a run's
// steps and tasks), Logs, Blobs and Leases (heartbeats and resume
// claims). A caller names the part it uses: store.Blobs().Get(ctx, hash).
//
// The on-disk (and in-bucket) layout is described in docs/datastore.md.
package datastore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNotFound is returned (wrapped) by a Backend, and by the parts of a
// Store, when an object does not exist. Test with errors.Is.
var ErrNotFound = errors.New("not found")

// ErrCorrupt is returned (wrapped) by the parts of a Store when a stored
// object fails verification: a blob whose header, length or SHA-256 does
// not match, or a record that fails its checksum or is not valid JSON.
// Test with errors.Is.
var ErrCorrupt = errors.New("corrupt object")

// Backend stores immutable named objects. Names are slash-separated relative
// keys ("Flow/runs/..."): non-empty elements, no leading or trailing slash,
// no "." or ".." elements, and no element starting with "." (backends may use
// such names for temporary files). Implementations are safe for concurrent use
// by several goroutines and several processes.
type Backend interface {
	// Save stores the bytes read from rd under name, atomically: readers see
	// either nothing or the whole object. Saving a name that already exists
	// replaces it with identical semantics (callers only re-save identical
	// content). If rd returns an error or ctx is cancelled, nothing is stored
	// and the error is returned.
	Save(ctx context.Context, name string, rd io.Reader) error

	// Load opens the object; a missing object returns an error for which
	// errors.Is(err, ErrNotFound). The caller closes the reader. The
	// reader may be a Sizer, so that a caller reads a small object whole
	// in one allocation.
	Load(ctx context.Context, name string) (io.ReadCloser, error)

	// Stat returns the object's size in bytes, or an error wrapping
	// ErrNotFound.
	Stat(ctx context.Context, name string) (int64, error)

	// List calls fn for every object whose name starts with prefix (a plain
	// string prefix, not necessarily ending in "/"), in lexical byte order of
	// names. An error returned by fn stops the listing and is returned as is.
	// Objects saved concurrently with List may or may not be listed.
	List(ctx context.Context, prefix string, fn func(name string, size int64) error) error

	// Dirs calls fn, in lexical byte order, once for each distinct name
	// element that follows prefix in the names of stored objects and is
	// itself followed by "/": for prefix "" the first elements of nested
	// names, for "F/" the second elements of names beginning "F/". prefix is
	// "" or ends in "/". It lists one level, without reading the objects
	// below (an S3 delimiter listing, a directory read), so that a caller
	// can find the flows of a datastore without listing every object. A
	// backend may also report an element under which no object remains (an
	// empty directory left behind). An error returned by fn stops the
	// listing and is returned as is.
	Dirs(ctx context.Context, prefix string, fn func(elem string) error) error

	// Remove deletes the object, so that it reads as not found. Removing
	// an object that does not exist is not an error. Stepflow removes only
	// what it proved damaged (verify --repair), its own leases and a
	// finished attempt's live card.
	Remove(ctx context.Context, name string) error
}

// Sizer is implemented by a reader of Backend.Load that knows the size of
// its object: it reads exactly Size bytes.
type Sizer interface {
	Size() int64
}

// readObject reads r to its end: when r is a Sizer, into one buffer of
// the object's size, with as few reads as the size allows.
func readObject(r io.Reader) ([]byte, error) {
	sz, ok := r.(Sizer)
	if !ok || sz.Size() < 0 || sz.Size() > maxBlobSize {
		return io.ReadAll(r)
	}
	buf := make([]byte, sz.Size())
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// CheckName validates an object name as the Backend contract defines it:
// non-empty slash-separated elements, none empty, none starting with '.',
// none holding a backslash or NUL. Backends call it before touching storage.
func CheckName(name string) error {
	if name == "" {
		return errors.New("invalid object name: empty")
	}
	for _, el := range strings.Split(name, "/") {
		switch {
		case el == "":
			return fmt.Errorf("invalid object name %q: empty path element", name)
		case strings.HasPrefix(el, "."):
			return fmt.Errorf("invalid object name %q: element %q starts with '.'", name, el)
		case strings.ContainsAny(el, "\\\x00"):
			return fmt.Errorf("invalid object name %q: element %q contains '\\' or NUL", name, el)
		}
	}
	return nil
}

// ContextReader returns a reader of r that fails once ctx is cancelled, so
// a backend's Save stops copying a cancelled upload.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
