package stepflow_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
)

type wordFlow struct {
	Words []string
	Word  string
}

func (f *wordFlow) Measure(c *stepflow.Context) error {
	f.Word = stepflow.Item[string](c)
	return nil
}

// recovered calls fn and returns the value it panics with.
func recovered(fn func()) (r any) {
	defer func() { r = recover() }()
	fn()
	return nil
}

// TestZeroContextMisuse checks that each misuse of the zero Context (and
// of a nil one) fails with a sentence naming the fix.
func TestZeroContextMisuse(t *testing.T) {
	type misuse struct {
		name string
		fn   func()
		want string
	}
	cases := []misuse{
		{"Item on the zero Context", func() { (&wordFlow{}).Measure(&stepflow.Context{}) },
			"stepflow.Item[string] called with the zero stepflow.Context, which has no foreach item; to unit-test a foreach step, call it with stepflowtest.Context(t, stepflowtest.Item(x))"},
		{"Item on a nil Context", func() { (&wordFlow{}).Measure(nil) },
			"stepflow.Item[string] called with a nil *stepflow.Context, which has no foreach item; to unit-test a foreach step, call it with stepflowtest.Context(t, stepflowtest.Item(x))"},
	}
	var zero stepflow.Context
	noScratch := "the zero stepflow.Context has no task, so no scratch directory that is removed when the task ends; " +
		"to unit-test a step that writes files, call it with stepflowtest.Context(t), whose scratch directory is in t.TempDir()"
	cases = append(cases,
		misuse{"TempDir on the zero Context", func() {
			if _, err := zero.TempDir(); err != nil {
				panic(err)
			}
		}, noScratch},
		misuse{"TempFile on a nil Context", func() {
			if _, err := (*stepflow.Context)(nil).TempFile("x-*"); err != nil {
				panic(err)
			}
		}, noScratch})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := recovered(c.fn)
			err, ok := r.(error)
			if !ok {
				t.Fatalf("panicked with %#v; want an error", r)
			}
			if err.Error() != c.want {
				t.Errorf("got  %s\nwant %s", err, c.want)
			}
		})
	}
}

// TestZeroContextCrash checks what a test that calls a foreach step with
// the zero Context prints when it crashes: the sentence, not a panic
// value's type and address.
func TestZeroContextCrash(t *testing.T) {
	if os.Getenv("STEPFLOW_ZERO_CONTEXT_CRASH") == "1" {
		(&wordFlow{}).Measure(&stepflow.Context{})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestZeroContextCrash$")
	cmd.Env = append(os.Environ(), "STEPFLOW_ZERO_CONTEXT_CRASH=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the step did not crash the test:\n%s", out)
	}
	want := "panic: stepflow.Item[string] called with the zero stepflow.Context, which has no foreach item; to unit-test a foreach step, call it with stepflowtest.Context(t, stepflowtest.Item(x))"
	if !strings.Contains(string(out), want) || strings.Contains(string(out), "itemError") {
		t.Errorf("the crash says:\n%s\nwant a line %q", out, want)
	}
}
