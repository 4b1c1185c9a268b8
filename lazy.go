package stepflow

import (
	"reflect"
	"sync"

	"github.com/stepflow/stepflow/internal/artifact"
)

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
	p *lazyValue[T]
}

type lazyValue[T any] struct {
	mu     sync.Mutex
	src    *artifact.Source // where the value is stored; nil once set
	val    T
	loaded bool
	err    error
}

// Get returns the value, loading it on the first call. A value that cannot
// be loaded (a damaged blob, a type that no longer fits) gives the same
// error on every call.
func (l *Lazy[T]) Get() (T, error) {
	if l.p == nil {
		var zero T
		return zero, nil
	}
	p := l.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.src != nil && !p.loaded && p.err == nil {
		p.err = p.src.Load(reflect.ValueOf(&p.val))
		p.loaded = p.err == nil
	}
	return p.val, p.err
}

// Set replaces the value; the task stores it when the step ends.
func (l *Lazy[T]) Set(v T) {
	l.p = &lazyValue[T]{val: v, loaded: true}
}

// LazySource implements artifact.Lazy.
func (l *Lazy[T]) LazySource() (*artifact.Source, bool) {
	if l.p == nil || l.p.src == nil {
		return nil, false
	}
	return l.p.src, true
}

// SetLazySource implements artifact.Lazy.
func (l *Lazy[T]) SetLazySource(src *artifact.Source) { l.p = &lazyValue[T]{src: src} }

// LazyValue implements artifact.Lazy.
func (l *Lazy[T]) LazyValue() (reflect.Value, error) {
	v, err := l.Get()
	return reflect.ValueOf(&v).Elem(), err
}
