package artifact

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
)

// Lazy is implemented by pointers to stepflow.Lazy[T], which embeds a
// LazyHolder: a top-level field of the flow state whose stored value a
// task decodes only when the step asks for it, and stores again only when
// the step replaced it. Its method is unexported, so nothing of it shows
// in stepflow's API.
type Lazy interface{ lazyHolder() *LazyHolder }

// LazyHolder is the state of a lazy field. stepflow.Lazy[T] embeds it
// under an unexported alias (like flow.Holder) and works on it with
// LazyGet and LazySet; the task with LazyOf, LazySource, SetLazySource and
// LazyValue. Copies share the state until one of them is Set.
type LazyHolder struct{ p *lazyState }

type lazyState struct {
	mu     sync.Mutex
	src    *Source // where the value is stored; nil once set
	val    any     // the value (a T) once loaded or set
	loaded bool
	err    error
}

func (h *LazyHolder) lazyHolder() *LazyHolder { return h }

// LazyOf returns the holder of ptr, a pointer to a lazy field.
func LazyOf(ptr any) (*LazyHolder, bool) {
	if l, ok := ptr.(Lazy); ok {
		return l.lazyHolder(), true
	}
	return nil, false
}

// LazyGet returns the value held by h, loading it as a T on the first call.
// A value that cannot be loaded gives the same error on every call.
func LazyGet[T any](h *LazyHolder) (T, error) {
	var zero T
	p := h.p
	if p == nil {
		return zero, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.src != nil && !p.loaded && p.err == nil {
		var v T
		if p.err = p.src.Load(reflect.ValueOf(&v)); p.err == nil {
			p.val, p.loaded = v, true
		}
	}
	if p.err != nil {
		return zero, p.err
	}
	v, _ := p.val.(T) // nil for a nil interface value
	return v, nil
}

// LazySet replaces the value held by h.
func LazySet[T any](h *LazyHolder, v T) { h.p = &lazyState{val: v, loaded: true} }

// LazySource returns the source the field was loaded from, while the step
// has not set a new value.
func LazySource(h *LazyHolder) (*Source, bool) {
	if h.p == nil || h.p.src == nil {
		return nil, false
	}
	return h.p.src, true
}

// SetLazySource makes the field load its value from src on first use.
func SetLazySource(h *LazyHolder, src *Source) { h.p = &lazyState{src: src} }

// LazyValue returns the value to store of the lazy field ptr points to,
// loading it if needed: the result of its Get method.
func LazyValue(ptr reflect.Value) (reflect.Value, error) {
	get := ptr.MethodByName("Get")
	if !get.IsValid() {
		return reflect.Value{}, fmt.Errorf("%s has no Get method", ptr.Type())
	}
	out := get.Call(nil)
	if err, _ := out[1].Interface().(error); err != nil {
		return reflect.Value{}, err
	}
	return out[0], nil
}

// Source is where a lazy field's value is stored.
type Source struct {
	// Ref identifies the stored value (the task keeps a datastore.ArtifactRef
	// here, to store the field unchanged without reading it).
	Ref any
	// Load decodes the value into ptr, a pointer to a value of the field's
	// value type (lazy fields).
	Load func(ptr reflect.Value) error
	// Open streams the stored content and returns its size (file fields):
	// datastore.Blobs.OpenFile.
	Open func() (io.ReadCloser, int64, error)
	// Size is the stored content's size in bytes (file fields).
	Size int64
}

// File is the encoding of a file field (stepflow.File): the file's bytes,
// as they are.
const File = "file"

// FileField is implemented by pointers to stepflow.File, which embeds a
// FileHolder: a top-level field of the flow state whose content is a file,
// streamed into the datastore from a local path and streamed out of it to
// the steps that read it. Its method is unexported, so nothing of it shows
// in stepflow's API.
type FileField interface{ fileHolder() *FileHolder }

// FileHolder is the state of a file field. stepflow.File embeds it under
// an unexported alias and works on it with FileSetPath, FileOpen and
// FileSize; the task with FileOf, FileSource, SetFileSource and FilePath.
type FileHolder struct{ p *fileState }

type fileState struct {
	path string  // set by this step
	src  *Source // stored by an earlier step
	size int64
}

func (h *FileHolder) fileHolder() *FileHolder { return h }

// FileOf returns the holder of ptr, a pointer to a file field.
func FileOf(ptr any) (*FileHolder, bool) {
	if f, ok := ptr.(FileField); ok {
		return f.fileHolder(), true
	}
	return nil, false
}

// FileSetPath makes the file at path the field's content.
func FileSetPath(h *FileHolder, path string) { h.p = &fileState{path: path, size: -1} }

// ErrNoFile is what FileOpen returns for a field with no content.
var ErrNoFile = errors.New("stepflow.File has no content: no step set a path")

// FileOpen opens the field's content: the local file set in this step, or
// the stored file (Source.Open).
func FileOpen(h *FileHolder) (io.ReadCloser, error) {
	switch {
	case h.p == nil:
		return nil, ErrNoFile
	case h.p.path != "":
		return os.Open(h.p.path)
	}
	rc, _, err := h.p.src.Open()
	return rc, err
}

// FileSize returns the stored content's size, -1 for a file set in this
// step, 0 for none.
func FileSize(h *FileHolder) int64 {
	if h.p == nil {
		return 0
	}
	return h.p.size
}

// FileSource returns the source the field was loaded from, while the step
// has not set a new file.
func FileSource(h *FileHolder) (*Source, bool) {
	if h.p == nil || h.p.src == nil {
		return nil, false
	}
	return h.p.src, true
}

// SetFileSource makes the field read its content from src.
func SetFileSource(h *FileHolder, src *Source) { h.p = &fileState{src: src, size: src.Size} }

// FilePath returns the local file the step set, or "" for none.
func FilePath(h *FileHolder) string {
	if h.p == nil {
		return ""
	}
	return h.p.path
}

var fileIface = reflect.TypeFor[FileField]()

// IsFile reports whether values of t are file fields.
func IsFile(t reflect.Type) bool {
	return t.Kind() != reflect.Interface && reflect.PointerTo(t).Implements(fileIface)
}

var lazyIface = reflect.TypeFor[Lazy]()

// IsLazy reports whether values of t are lazy fields.
func IsLazy(t reflect.Type) bool {
	return t.Kind() != reflect.Interface && reflect.PointerTo(t).Implements(lazyIface)
}
