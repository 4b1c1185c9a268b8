package stepflowtest_test

import (
	"bytes"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

// measure is a foreach step as a flow declares it.
func measure(s *S, c *stepflow.Context) error {
	s.Word = stepflow.Item[string](c)
	s.N = len(s.Word) * (c.Attempt() + 1)
	c.Printf("word %d: %s\n", c.Index(), s.Word)
	c.Card().Markdown("# " + s.Word)
	return nil
}

func TestContext(t *testing.T) {
	var out bytes.Buffer
	s := &S{}
	c := stepflowtest.Context(t, stepflowtest.Item("beta"), stepflowtest.Index(2), stepflowtest.Attempt(1),
		stepflowtest.Step("measure"), stepflowtest.Output(&out))
	if err := measure(s, c); err != nil {
		t.Fatal(err)
	}
	if s.Word != "beta" || s.N != 8 {
		t.Errorf("Word, N = %q, %d; want beta, 8", s.Word, s.N)
	}
	if got := out.String(); got != "word 2: beta\n" {
		t.Errorf("Printf wrote %q", got)
	}
	if e := c.Card().Elements(); len(e) != 1 || e[0].Markdown != "# beta" {
		t.Errorf("card elements = %+v, want the Markdown # beta", e)
	}
	if got := c.Pathspec(); got != "test/measure/2" {
		t.Errorf("Pathspec = %q, want test/measure/2", got)
	}
	if c.Context().Err() != nil {
		t.Errorf("the context is done while the test runs")
	}
}

func TestContextDefaults(t *testing.T) {
	c := stepflowtest.Context(t)
	if c.Index() != -1 || c.Attempt() != 0 || c.TaskID() != "0" || len(c.Indices()) != 0 {
		t.Errorf("Index, Attempt, TaskID, Indices = %d, %d, %q, %v; want -1, 0, \"0\", []", c.Index(), c.Attempt(), c.TaskID(), c.Indices())
	}
	c = stepflowtest.Context(t, stepflowtest.Item(3))
	if c.Index() != 0 || c.TaskID() != "0" {
		t.Errorf("with an item only: Index, TaskID = %d, %q; want 0, \"0\"", c.Index(), c.TaskID())
	}
	c = stepflowtest.Context(t, stepflowtest.Item(3), stepflowtest.Indices(1, 4))
	if c.Index() != 4 || c.TaskID() != "1-4" {
		t.Errorf("nested: Index, TaskID = %d, %q; want 4, \"1-4\"", c.Index(), c.TaskID())
	}
	c.Printf("printed to the test's log\n")
}

// itemPanic calls stepflow.Item and returns the error it panics with.
func itemPanic[T any](t *testing.T, c *stepflow.Context) error {
	t.Helper()
	var got any
	func() {
		defer func() { got = recover() }()
		stepflow.Item[T](c)
	}()
	err, ok := got.(error)
	if !ok {
		t.Fatalf("stepflow.Item panicked with %#v, not an error", got)
	}
	return err
}

func TestContextMisuse(t *testing.T) {
	err := itemPanic[string](t, stepflowtest.Context(t, stepflowtest.Index(1)))
	want := "stepflow.Item[string] called with a stepflowtest.Context made without an item; give it one: stepflowtest.Context(t, stepflowtest.Item(x))"
	if err.Error() != want {
		t.Errorf("no item:\n got %s\nwant %s", err, want)
	}
	err = itemPanic[int](t, stepflowtest.Context(t, stepflowtest.Item("beta")))
	want = "stepflow.Item[int]: item is string, not int; use the element type of the foreach field"
	if err.Error() != want {
		t.Errorf("wrong type:\n got %s\nwant %s", err, want)
	}
}

func TestContextBadOptions(t *testing.T) {
	for _, c := range []struct {
		opts []stepflowtest.ContextOption
		want string
	}{
		{[]stepflowtest.ContextOption{stepflowtest.Index(-1)}, "stepflowtest.Context: foreach index -1 is negative; a task's index is 0 for the first item, 1 for the second, ..."},
		{[]stepflowtest.ContextOption{stepflowtest.Indices(2, -3)}, "stepflowtest.Context: foreach index -3 is negative; a task's index is 0 for the first item, 1 for the second, ..."},
		{[]stepflowtest.ContextOption{stepflowtest.Attempt(-1)}, "stepflowtest.Context: attempt -1 is negative; 0 is the first try, 1 the first retry"},
	} {
		if got := fatal(t, func(tb testing.TB) { stepflowtest.Context(tb, c.opts...) }); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}
