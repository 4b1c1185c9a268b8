package stepflow

import "github.com/stepflow/stepflow/internal/artifact"

// Lazy holds an artifact value that a task loads from the datastore only
// when the step calls Get. Use it for large values that many steps carry
// but few read:
//
//	type TrainFlow struct {
//		Features stepflow.Lazy[[]float64] // 2 GiB, read by train only
//		Score    float64
//	}
//
//	func (f *TrainFlow) Train(c *stepflow.Context) error {
//		x, err := f.Features.Get()
//		...
//	}
//
// A step that does not call Get or Set neither reads nor writes the value:
// its task keeps the stored one as it is. Changing the value Get returned
// in place is not a change: call Set to store a new value. A Lazy must be a field of the
// flow state itself, not nested inside another value. Copies of a Lazy
// share its value; the zero Lazy holds the zero T.
type Lazy[T any] struct {
	lazyHolder
}

// lazyHolder keeps a Lazy's state for Stepflow's own packages; its
// method is unexported, so it stays out of the public API.
type lazyHolder = artifact.LazyHolder

// Get returns the value, loading it on the first call. A value that cannot
// be loaded (a damaged blob, a type that no longer fits) gives the same
// error on every call.
func (l *Lazy[T]) Get() (T, error) { return artifact.LazyGet[T](&l.lazyHolder) }

// Set replaces the value; the task stores it when the step ends.
func (l *Lazy[T]) Set(v T) { artifact.LazySet(&l.lazyHolder, v) }
