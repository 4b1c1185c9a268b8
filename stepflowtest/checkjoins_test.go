package stepflowtest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

// errorTB records Errorf instead of failing the test.
type errorTB struct {
	*testing.T
	errs []string
}

func (e *errorTB) Errorf(format string, args ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

// checkJoins runs CheckJoins with an errorTB and returns what it reported.
func checkJoins[T any](t *testing.T, f *stepflow.Flow[T], opts ...stepflowtest.Option) string {
	t.Helper()
	tb := &errorTB{T: t}
	stepflowtest.CheckJoins(tb, f, opts...)
	return strings.Join(tb.errs, "\n")
}

// J is a flow state with an artifact of most kinds.
type J struct {
	Words  []string
	Word   string
	Length int
	Seen   map[string]int
	When   time.Time
	Model  stepflow.File
	Big    stepflow.Lazy[[]float64]
	Total  int
	Left   string
	Right  string
	Picked string
}

// newJoinsFlow: a foreach over Words (measure sets Word, Length, Seen,
// When, Model, Big), its join, then a branch whose sides set Left and
// Right, and its join. The joins do what join and meet say.
func newJoinsFlow(join, meet func(f *J, in []*J), joinOpts, meetOpts []stepflow.StepOption) *stepflow.Flow[J] {
	return stepflow.New[J]("JoinsFlow").
		Param("words", []string{"solo"}, "the words").
		Step("start", func(f *J, c *stepflow.Context) error { return nil }, stepflow.Foreach("Words", "measure")).
		Step("measure", func(f *J, c *stepflow.Context) error {
			f.Word = stepflow.Item[string](c)
			f.Length = len(f.Word)
			f.Seen = map[string]int{f.Word: 1}
			f.When = time.Unix(int64(c.Index()), 0).UTC()
			f.Big.Set([]float64{float64(len(f.Word))})
			file, err := c.TempFile("model-*")
			if err != nil {
				return err
			}
			defer file.Close()
			if _, err := file.WriteString(f.Word); err != nil {
				return err
			}
			f.Model.SetPath(file.Name())
			return nil
		}, stepflow.Next("join")).
		Join("join", func(f *J, c *stepflow.Context, in []*J) error {
			for _, t := range in {
				f.Total += t.Length
			}
			join(f, in)
			return nil
		}, append([]stepflow.StepOption{stepflow.Next("fork")}, joinOpts...)...).
		Step("fork", func(f *J, c *stepflow.Context) error { return nil }, stepflow.Branch("left", "right")).
		Step("left", func(f *J, c *stepflow.Context) error { f.Left = "l"; return nil }, stepflow.Next("meet")).
		Step("right", func(f *J, c *stepflow.Context) error { f.Right = "r"; return nil }, stepflow.Next("meet")).
		Join("meet", func(f *J, c *stepflow.Context, in []*J) error { meet(f, in); return nil },
			append([]stepflow.StepOption{stepflow.Next("end")}, meetOpts...)...).
		Step("end", func(f *J, c *stepflow.Context) error { return nil })
}

func nothing(*J, []*J) {}

// TestCheckJoins: with a one-item foreach, whose run passes, CheckJoins
// still finds every field of every join left neither set nor dropped.
func TestCheckJoins(t *testing.T) {
	// With one item, a run passes: the mistake of join hides.
	stepflowtest.Run(t, newJoinsFlow(nothing, func(f *J, in []*J) { f.Left, f.Right = in[0].Left, in[1].Right }, nil, nil))
	got := checkJoins(t, newJoinsFlow(nothing, nothing, nil, nil))
	want := `stepflowtest.CheckJoins: flow JoinsFlow: 2 join(s) to fix:
  join join leaves Word, Length, Seen, When, Model, Big neither set nor dropped: the steps between start and the join change them, so its inputs can disagree on them, and then the join fails; set each in the join from its inputs (f.Word = ... in[i].Word ...) or add stepflow.Drop("Word", "Length", "Seen", "When", "Model", "Big") to the join (checked with 3 inputs differing in Word, Length, Seen, When, Model, Big)
  join meet leaves Left, Right neither set nor dropped: the steps between fork and the join change them, so its inputs can disagree on them, and then the join fails; set each in the join from its inputs (f.Left = ... in[i].Left ...) or add stepflow.Drop("Left", "Right") to the join (checked with 3 inputs differing in Left, Right)`
	if got != want {
		t.Errorf("CheckJoins reported:\n%s\nwant:\n%s", got, want)
	}

	// Set or dropped: nothing to report, with one input or three.
	fixed := newJoinsFlow(func(f *J, in []*J) { f.Word = in[0].Word },
		func(f *J, in []*J) { f.Left, f.Right = in[0].Left, in[1].Right },
		[]stepflow.StepOption{stepflow.Drop("Length", "Seen", "When", "Model", "Big")}, nil)
	for _, words := range []string{`["solo"]`, `["a","bb","ccc"]`} {
		if got := checkJoins(t, fixed, stepflowtest.Params{"words": words}); got != "" {
			t.Errorf("words %s: CheckJoins reported a fixed flow:\n%s", words, got)
		}
	}
}

func TestCheckJoinsCannotCheck(t *testing.T) {
	// An empty foreach: the join had no inputs.
	f := newJoinsFlow(nothing, func(f *J, in []*J) { f.Left, f.Right = in[0].Left, in[1].Right }, nil, nil)
	got := checkJoins(t, f, stepflowtest.Params{"words": "[]"})
	want := `stepflowtest.CheckJoins: flow JoinsFlow: 1 join(s) to fix:
  join join: not checked, it had no inputs in the run (a foreach over an empty slice); give CheckJoins parameters for which start has items`
	if got != want {
		t.Errorf("empty foreach: CheckJoins reported:\n%s\nwant:\n%s", got, want)
	}

	// A join that panics on made-up inputs.
	f = newJoinsFlow(func(f *J, in []*J) {
		if in[0].Word != "solo" {
			panic("not solo")
		}
	}, nothing, []stepflow.StepOption{stepflow.Drop("Word", "Length", "Seen", "When", "Model", "Big")},
		[]stepflow.StepOption{stepflow.Drop("Left", "Right")})
	got = checkJoins(t, f)
	if !strings.Contains(got, "join join: fails on inputs that differ in Word, Length, Seen, When, Model, Big, so CheckJoins cannot tell what it sets: panic: not solo") ||
		strings.Contains(got, "join meet") {
		t.Errorf("a panicking join: CheckJoins reported:\n%s", got)
	}
}
