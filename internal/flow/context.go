package flow

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/stepflow/stepflow/card"
)

// TaskInfo identifies the task a step function runs as.
type TaskInfo struct {
	Flow    string
	RunID   string
	Step    string
	TaskID  string
	Attempt int   // 0 for the first attempt
	Indices []int // foreach index stack, outermost first
	Item    any   // the innermost foreach item; nil outside a foreach
	HasItem bool
	// Test marks the Context a unit test made (stepflowtest.Context), so
	// that a misuse names the test option that fixes it.
	Test bool
}

// Context is what a step function receives besides the flow state: the
// identity of its task, its foreach position, cancellation, and output.
type Context struct {
	ctx     context.Context
	info    TaskInfo
	out     io.Writer
	card    *card.Card
	scratch scratch
	secrets secrets
	refresh func(*card.Card) error // saves the card while the step runs; nil: nothing to do
}

// NewContext returns a Context for one task attempt. out receives Printf
// output; nil means standard output.
func NewContext(ctx context.Context, info TaskInfo, out io.Writer) *Context {
	if out == nil {
		out = os.Stdout
	}
	return &Context{ctx: ctx, info: info, out: out, card: &card.Card{}}
}

// Card returns the task's card, which the task runner saves with the
// attempt when it has any content.
func (c *Context) Card() *card.Card { return c.card }

// SetCardRefresh makes RefreshCard call save with the card: the task
// runner's, which stores it for the viewers while the step runs.
func (c *Context) SetCardRefresh(save func(*card.Card) error) { c.refresh = save }

// RefreshCard saves the card as it is now for the viewers to show while
// the step runs, when the runner gave a way to (SetCardRefresh); else it
// does nothing.
func (c *Context) RefreshCard() error {
	if c.refresh == nil {
		return nil
	}
	return c.refresh(c.card)
}

// Context returns the task's context.Context. It is cancelled when the task
// times out or the run is interrupted.
func (c *Context) Context() context.Context { return c.ctx }

// Flow returns the flow's name.
func (c *Context) Flow() string { return c.info.Flow }

// RunID returns the id of the run.
func (c *Context) RunID() string { return c.info.RunID }

// Step returns the name of the running step.
func (c *Context) Step() string { return c.info.Step }

// TaskID returns the task's id, unique within its step and run.
func (c *Context) TaskID() string { return c.info.TaskID }

// Pathspec returns run/step/task.
func (c *Context) Pathspec() string {
	return c.info.RunID + "/" + c.info.Step + "/" + c.info.TaskID
}

// Attempt returns the attempt number, 0 for the first try.
func (c *Context) Attempt() int { return c.info.Attempt }

// Index returns the task's index in the innermost enclosing foreach, or -1
// outside any foreach.
func (c *Context) Index() int {
	if len(c.info.Indices) == 0 {
		return -1
	}
	return c.info.Indices[len(c.info.Indices)-1]
}

// Indices returns the foreach index stack, outermost first.
func (c *Context) Indices() []int { return append([]int(nil), c.info.Indices...) }

// Item returns the innermost foreach item (the element of the foreach field
// at Index), and false outside a foreach.
func (c *Context) Item() (any, bool) { return c.info.Item, c.info.HasItem }

// Printf writes to the task's standard output, which is saved with the task.
func (c *Context) Printf(format string, args ...any) {
	fmt.Fprintf(c.out, format, args...)
}

// SetScratchRoot makes the task's scratch directory (TempDir) a new
// directory under root instead of under os.TempDir(); a unit test's
// Context puts it in the test's own temporary directory.
func (c *Context) SetScratchRoot(root string) { c.scratch.root = root }

// IsTest reports whether a unit test made the Context (TaskInfo.Test).
func (c *Context) IsTest() bool { return c.info.Test }

// Wrap makes the public *stepflow.Context of c. Package stepflow sets it
// when it is initialised, so that stepflowtest can build one for a unit
// test without the public type exposing its insides.
var Wrap func(c *Context) any

// Failure is what a catch field of this type receives when the step fails
// for good.
type Failure struct {
	Step     string // the step that failed
	Error    string // the error message, or the exit status of a crashed task
	Attempts int    // how many attempts were made
}
