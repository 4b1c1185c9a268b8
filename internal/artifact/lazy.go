package artifact

import "reflect"

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
	// value type.
	Load func(ptr reflect.Value) error
}

var lazyIface = reflect.TypeFor[Lazy]()

// IsLazy reports whether values of t are lazy fields.
func IsLazy(t reflect.Type) bool {
	return t.Kind() != reflect.Interface && reflect.PointerTo(t).Implements(lazyIface)
}
