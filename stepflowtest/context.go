package stepflowtest

import (
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// ContextOption is a setting of Context: Item, Index, Indices, Attempt,
// Step or Output.
type ContextOption interface {
	applyContext(*contextSettings)
}

type contextSettings struct {
	info       flow.TaskInfo
	hasIndices bool
	out        io.Writer
	secrets    []flow.Secret
	values     map[string]string
}

type contextOption func(*contextSettings)

func (o contextOption) applyContext(s *contextSettings) { o(s) }

// Item gives the Context a foreach item, the value stepflow.Item returns:
// the element of the foreach field the step's task would run on. Without
// Index or Indices, the task's index is 0.
func Item(v any) ContextOption {
	return contextOption(func(s *contextSettings) { s.info.Item, s.info.HasItem = v, true })
}

// Index gives the task's index in its foreach (Context.Index), as for a
// step inside one foreach; Indices gives every level of nested ones.
func Index(i int) ContextOption { return Indices(i) }

// Indices gives the task's foreach index stack, outermost first
// (Context.Indices; Context.Index is the last one).
func Indices(indices ...int) ContextOption {
	return contextOption(func(s *contextSettings) {
		s.info.Indices, s.hasIndices = append([]int(nil), indices...), true
	})
}

// Attempt gives the attempt number (Context.Attempt): 0 is the first
// try, 1 the first retry.
func Attempt(n int) ContextOption {
	return contextOption(func(s *contextSettings) { s.info.Attempt = n })
}

// Step names the running step (Context.Step).
func Step(name string) ContextOption {
	return contextOption(func(s *contextSettings) { s.info.Step = name })
}

// Output receives what the step prints with Context.Printf, instead of
// the test's log.
func Output(w io.Writer) ContextOption {
	return contextOption(func(s *contextSettings) { s.out = w })
}

// Context returns a *stepflow.Context for calling a step function directly
// in a unit test, without running the flow:
//
//	func TestMeasure(t *testing.T) {
//		f := &ForeachFlow{}
//		c := stepflowtest.Context(t, stepflowtest.Item("beta"), stepflowtest.Index(1))
//		if err := f.Measure(c); err != nil {
//			t.Fatal(err)
//		}
//		// f.Length == 4; c.Card() holds what the step reported
//	}
//
// It describes attempt 0 of the task of run RunID of flow "test", outside
// any foreach unless Item, Index or Indices say otherwise; its
// context.Context is t.Context(); Printf writes to the test's log (t.Log)
// unless Output gives a writer; its card (Context.Card) is not saved,
// for the test to inspect; its scratch directory (Context.TempDir,
// TempFile) is in t.TempDir(), removed when the test ends, so that the
// test can still read the files the step handed to File.SetPath. A foreach step reads its item with
// stepflow.Item, which fails, naming this function, when the Context has
// no item.
func Context(t testing.TB, opts ...ContextOption) *stepflow.Context {
	t.Helper()
	s := contextSettings{info: flow.TaskInfo{Flow: "test", RunID: RunID, Test: true}}
	for _, o := range opts {
		if o != nil {
			o.applyContext(&s)
		}
	}
	for _, i := range s.info.Indices {
		if i < 0 {
			t.Fatalf("stepflowtest.Context: foreach index %d is negative; a task's index is 0 for the first item, 1 for the second, ...", i)
		}
	}
	if s.info.Attempt < 0 {
		t.Fatalf("stepflowtest.Context: attempt %d is negative; 0 is the first try, 1 the first retry", s.info.Attempt)
	}
	if s.info.HasItem && !s.hasIndices {
		s.info.Indices = []int{0}
	}
	s.info.TaskID = pathspec.TaskID(s.info.Indices)
	if s.out == nil {
		lw := &logWriter{t: t}
		t.Cleanup(lw.flush)
		s.out = lw
	}
	fc := flow.NewContext(t.Context(), s.info, s.out)
	fc.SetScratchRoot(t.TempDir())
	fc.SetSecrets(s.secrets, s.values)
	return flow.Wrap(fc).(*stepflow.Context)
}

// logWriter writes each complete line to the test's log.
type logWriter struct {
	t    testing.TB
	mu   sync.Mutex
	part string
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	lines := strings.Split(w.part+string(p), "\n")
	w.part = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		w.t.Log(l)
	}
	return len(p), nil
}

// flush logs the last line when it has no newline.
func (w *logWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.part != "" {
		w.t.Log(w.part)
		w.part = ""
	}
}
