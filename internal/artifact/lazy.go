package artifact

import (
	"io"
	"reflect"
)

// Lazy is implemented by pointers to stepflow.Lazy[T]: a top-level field of
// the flow state whose stored value a task decodes only when the step asks
// for it, and stores again only when the step replaced it.
type Lazy interface {
	// LazySource returns the source the field was loaded from, while the
	// step has not set a new value.
	LazySource() (*Source, bool)
	// SetLazySource makes the field load its value from src on first use.
	SetLazySource(src *Source)
	// LazyValue returns the value to store, loading it if needed.
	LazyValue() (reflect.Value, error)
}

// Source is where a lazy field's value is stored.
type Source struct {
	// Ref identifies the stored value (the task keeps a datastore.ArtifactRef
	// here, to store the field unchanged without reading it).
	Ref any
	// Load decodes the value into ptr, a pointer to a value of the field's
	// value type (lazy fields).
	Load func(ptr reflect.Value) error
	// Open streams the stored content and returns its size (file fields).
	// The reader verifies the content at its end.
	Open func() (io.ReadCloser, int64, error)
	// Size is the stored content's size in bytes (file fields).
	Size int64
}

// File is the encoding of a file field (stepflow.File): the file's bytes,
// as they are.
const File = "file"

// FileField is implemented by pointers to stepflow.File: a top-level field
// of the flow state whose content is a file, streamed into the datastore
// from a local path and streamed out of it to the steps that read it.
type FileField interface {
	// FileSource returns the source the field was loaded from, while the
	// step has not set a new file.
	FileSource() (*Source, bool)
	// SetFileSource makes the field read its content from src.
	SetFileSource(src *Source)
	// FilePath returns the local file the step set, or "" for none.
	FilePath() string
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
