package stepflow

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/stepflow/stepflow/card"
	"github.com/stepflow/stepflow/internal/flow"
)

func init() {
	flow.Wrap = func(c *flow.Context) any { return &Context{c: c} }
}

// Context is what a step receives besides its state: the identity of its
// task, its foreach position, its attempt number, cancellation, and output.
//
// The zero Context describes a first attempt outside any foreach, with
// empty names, context.Background, Printf writing to standard output and a
// card that is not saved. To unit-test a step, call it with the Context
// of stepflowtest.Context, which also carries a foreach item, an index, an
// attempt number and a scratch directory:
//
//	c := stepflowtest.Context(t, stepflowtest.Item("beta"), stepflowtest.Index(1))
//	err := f.Measure(c)
//
// On the zero Context, what needs a task fails with an error naming that
// fix: TempDir and TempFile, and Item (a panic whose value is that error,
// when called outside a step the flow runs).
type Context struct {
	c *flow.Context // nil in the zero Context

	once sync.Once
	card *card.Card // the zero Context's card
}

func (c *Context) in() *flow.Context {
	if c == nil {
		return nil
	}
	return c.c
}

// Context returns the task's context.Context. It is cancelled when the
// step's Timeout expires or the run is interrupted; pass it to slow calls.
func (c *Context) Context() context.Context {
	if in := c.in(); in != nil {
		return in.Context()
	}
	return context.Background()
}

// Flow returns the flow's name.
func (c *Context) Flow() string {
	if in := c.in(); in != nil {
		return in.Flow()
	}
	return ""
}

// RunID returns the id of the run.
func (c *Context) RunID() string {
	if in := c.in(); in != nil {
		return in.RunID()
	}
	return ""
}

// Step returns the name of the running step.
func (c *Context) Step() string {
	if in := c.in(); in != nil {
		return in.Step()
	}
	return ""
}

// TaskID returns the task's id, unique within its step and run: "0"
// outside any foreach, else the foreach indices joined by "-" ("3-1-2").
func (c *Context) TaskID() string {
	if in := c.in(); in != nil {
		return in.TaskID()
	}
	return ""
}

// Pathspec returns the task's address, run/step/task, as the flow
// binary's logs and dump commands take it. It is empty in the zero Context.
func (c *Context) Pathspec() string {
	if in := c.in(); in != nil {
		return in.Pathspec()
	}
	return ""
}

// Attempt returns the attempt number, 0 for the first try (see Retry).
func (c *Context) Attempt() int {
	if in := c.in(); in != nil {
		return in.Attempt()
	}
	return 0
}

// Index returns the task's index in the innermost enclosing foreach, or -1
// outside any foreach (and in the zero Context).
func (c *Context) Index() int {
	if in := c.in(); in != nil {
		return in.Index()
	}
	return -1
}

// Indices returns the foreach index stack, outermost first; it is empty
// outside any foreach.
func (c *Context) Indices() []int {
	if in := c.in(); in != nil {
		return in.Indices()
	}
	return nil
}

// Item returns the innermost foreach item (the element of the foreach
// field at Index), and false outside a foreach. The generic function Item
// returns it typed.
func (c *Context) Item() (any, bool) {
	if in := c.in(); in != nil {
		return in.Item()
	}
	return nil, false
}

// Printf writes to the task's standard output, which is shown while the
// run goes and saved with the task (the flow binary's logs command).
func (c *Context) Printf(format string, args ...any) {
	if in := c.in(); in != nil {
		in.Printf(format, args...)
		return
	}
	fmt.Printf(format, args...)
}

// Card returns the task's card: a report of Markdown text, tables, images
// and charts that is saved with the task's attempt (whether the step
// succeeds or fails) and shown by `stepflow ui` and `stepflow card
// view`:
//
//	k := c.Card()
//	k.Markdown("# Training\nBest shard: **" + f.Best + "**")
//	k.Table(f.Scores) // a slice of structs: a column per field
//	k.Chart(card.Chart{Kind: card.Line, Title: "loss", Series: []card.Series{{Name: "train", Y: f.Loss}}})
//
// Every call on one task returns the same card. In the zero Context it is
// a card that is not saved, which a unit test can inspect.
func (c *Context) Card() *card.Card {
	if in := c.in(); in != nil {
		return in.Card()
	}
	if c == nil {
		return &card.Card{}
	}
	c.once.Do(func() { c.card = &card.Card{} })
	return c.card
}

// RefreshCard saves the card (Card) as it is now, so that the viewers show
// it while the step goes on: `stepflow ui` updates a running task's card
// as it is refreshed, for the progress of a training loop, say:
//
//	for epoch := range f.Epochs {
//		loss = append(loss, train(epoch))
//		k := c.Card()
//		... add to the card ...
//		if err := c.RefreshCard(); err != nil {
//			return err
//		}
//	}
//
// A card keeps what was added to it, so a step that redraws its chart
// starts a new card each time: c.Card().Reset() (card.Card.Reset) before
// adding the chart again. Refreshes are cheap to call: the task stores at
// most one per second (a call sooner after the last is skipped, and the
// card as it is at the end is saved with the attempt in any case). In the
// zero Context and in stepflowtest's it does nothing.
func (c *Context) RefreshCard() error {
	if in := c.in(); in != nil {
		return in.RefreshCard()
	}
	return nil
}

// itemError is the panic value with which Item fails the task; the step
// wrappers of Flow.Step and Flow.Join recover it as the step's error. It
// is an error, so that a panic that escapes them (Item called in a unit
// test, or in a goroutine the step started) prints its sentence.
type itemError struct{ err error }

func (e itemError) Error() string { return e.err.Error() }

// recoverItem turns an itemError panic into *err and lets other panics go
// on (the task runner reports them with their stack).
func recoverItem(err *error) {
	if r := recover(); r != nil {
		ie, ok := r.(itemError)
		if !ok {
			panic(r)
		}
		*err = ie.err
	}
}

// Item returns the innermost foreach item of the running task as a T:
//
//	f.Word = stepflow.Item[string](c) // in a step of Foreach("Words", ...)
//
// T must be the element type of the foreach field. When it is not, or
// when the step does not run inside a foreach, Item fails the task with
// an error such as "item is string, not int": call it in the step's own
// goroutine, not in one the step starts. The zero Context has no item: a
// unit test gives one with stepflowtest.Context(t, stepflowtest.Item(x)).
func Item[T any](c *Context) T {
	var zero T
	v, ok := c.Item()
	want := reflect.TypeFor[T]()
	if !ok {
		panic(itemError{noItem(c, want)})
	}
	if v == nil && (want.Kind() == reflect.Interface) {
		return zero
	}
	t, ok := v.(T)
	if !ok {
		got := "nil"
		if v != nil {
			got = reflect.TypeOf(v).String()
		}
		panic(itemError{fmt.Errorf("stepflow.Item[%s]: item is %s, not %s; use the element type of the foreach field", want, got, want)})
	}
	return t
}

// noItem says why c has no item, and what gives it one.
func noItem(c *Context, want reflect.Type) error {
	const fix = "to unit-test a foreach step, call it with stepflowtest.Context(t, stepflowtest.Item(x))"
	switch in := c.in(); {
	case c == nil:
		return fmt.Errorf("stepflow.Item[%s] called with a nil *stepflow.Context, which has no foreach item; %s", want, fix)
	case in == nil:
		return fmt.Errorf("stepflow.Item[%s] called with the zero stepflow.Context, which has no foreach item; %s", want, fix)
	case in.IsTest():
		return fmt.Errorf("stepflow.Item[%s] called with a stepflowtest.Context made without an item; give it one: stepflowtest.Context(t, stepflowtest.Item(x))", want)
	case in.Step() != "":
		return fmt.Errorf("stepflow.Item[%s] called in step %s, which is not inside a foreach: there is no item; call Item only in the steps a Foreach runs, and the steps after them before the join", want, in.Step())
	}
	return fmt.Errorf("stepflow.Item[%s] called outside any foreach: there is no item", want)
}
