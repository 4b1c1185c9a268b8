package stepflowtest_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

// fatalTB records Fatalf instead of failing the test; Fatalf ends the
// goroutine, as it does in a real test.
type fatalTB struct {
	*testing.T
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fatal runs fn with a fatalTB and returns its Fatalf message.
func fatal(t *testing.T, fn func(tb testing.TB)) string {
	t.Helper()
	tb := &fatalTB{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
	}()
	<-done
	if tb.msg == "" {
		t.Fatal("the run did not stop the test")
	}
	return tb.msg
}

type S struct {
	Words  []string
	Word   string
	N      int
	Rate   float64
	Caught stepflow.Failure
	Env    string
	Done   bool
}

func start(s *S, c *stepflow.Context) error {
	s.Words = []string{"a", "bb", "ccc"}
	return nil
}

func end(s *S, c *stepflow.Context) error {
	s.Done = true
	return nil
}

func join(s *S, c *stepflow.Context, in []*S) error {
	for _, t := range in {
		s.N += t.N
	}
	return nil
}

// foreachFlow runs each with a foreach over Words.
func foreachFlow(each func(*S, *stepflow.Context) error, opts ...stepflow.StepOption) *stepflow.Flow[S] {
	return stepflow.New[S]("TestFlow").
		Param("rate", 0.5, "a rate").
		Step("start", start, stepflow.Foreach("Words", "each")).
		Step("each", each, append([]stepflow.StepOption{stepflow.Next("join")}, opts...)...).
		Join("join", join, stepflow.Next("end"), stepflow.Drop("Word")).
		Step("end", end)
}

func TestRun(t *testing.T) {
	res := stepflowtest.Run(t, foreachFlow(func(s *S, c *stepflow.Context) error {
		s.Word = stepflow.Item[string](c)
		s.N = len(s.Word)
		c.Printf("%s at %d\n", s.Word, c.Index())
		return nil
	}), stepflowtest.Params{"rate": "0.25"}, stepflowtest.MaxWorkers(2))
	if end := res.End(); end.N != 6 || !end.Done || end.Rate != 0.25 {
		t.Errorf("end: %+v", *end)
	}
	if got := res.Task("each", 1); got.Word != "bb" {
		t.Errorf("each 1: %+v", *got)
	}
	if got := res.Output("each", 2); got != "ccc at 2\n" {
		t.Errorf("each 2 printed %q", got)
	}
	if res.Failed() || res.Err() != nil || len(res.Failures()) != 0 {
		t.Errorf("Failed %v, Err %v, Failures %v", res.Failed(), res.Err(), res.Failures())
	}
}

func TestRunFailing(t *testing.T) {
	f := foreachFlow(func(s *S, c *stepflow.Context) error {
		c.Printf("trying %d\n", c.Attempt())
		if c.Index() == 1 {
			return errors.New("boom")
		}
		return nil
	}, stepflow.Retry(1, 0))
	res := stepflowtest.RunFailing(t, f)
	if !res.Failed() || !strings.Contains(res.Err().Error(), "step each: boom") {
		t.Errorf("Err = %v", res.Err())
	}
	fs := res.Failures()
	if len(fs) != 2 || fs[0].TaskID != "1" || fs[0].Attempt != 0 || fs[1].Attempt != 1 ||
		fs[1].Err != "step each: boom" || fs[1].Output != "trying 1\n" {
		t.Errorf("Failures = %+v", fs)
	}
	if got := res.Task("each", 2); got.Words == nil {
		t.Errorf("each 2: %+v", *got)
	}
	msg := fatal(t, func(tb testing.TB) { stepflowtest.RunFailing(tb, f).End() })
	if !strings.Contains(msg, "end/0: no successful task") {
		t.Errorf("End of a failed run: %s", msg)
	}
}

// A failed run stops the test with each failure and its output.
func TestRunReportsFailures(t *testing.T) {
	msg := fatal(t, func(tb testing.TB) {
		stepflowtest.Run(tb, foreachFlow(func(s *S, c *stepflow.Context) error {
			c.Printf("line 1\nline 2\n")
			return fmt.Errorf("bad word %q", stepflow.Item[string](c))
		}), stepflowtest.MaxWorkers(1))
	})
	for _, want := range []string{"run of TestFlow failed", `each/0 attempt 0: step each: bad word "a"`, "    | line 2"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestRunFailingSucceeds(t *testing.T) {
	msg := fatal(t, func(tb testing.TB) {
		stepflowtest.RunFailing(tb, foreachFlow(func(s *S, c *stepflow.Context) error { return nil }))
	})
	if !strings.Contains(msg, "succeeded; want it to fail") {
		t.Error(msg)
	}
}

func TestItemErrors(t *testing.T) {
	res := stepflowtest.RunFailing(t, foreachFlow(func(s *S, c *stepflow.Context) error {
		s.N = stepflow.Item[int](c)
		return nil
	}))
	if got := res.Err().Error(); !strings.Contains(got, "step each: stepflow.Item[int]: item is string, not int") {
		t.Errorf("type mismatch: %s", got)
	}
	res = stepflowtest.RunFailing(t, stepflow.New[S]("TestFlow").
		Step("start", func(s *S, c *stepflow.Context) error {
			s.Word = stepflow.Item[string](c)
			return nil
		}, stepflow.Next("end")).
		Step("end", end))
	if got := res.Err().Error(); !strings.Contains(got, "stepflow.Item[string] called in step start, which is not inside a foreach") {
		t.Errorf("outside a foreach: %s", got)
	}
}

func TestPanic(t *testing.T) {
	res := stepflowtest.RunFailing(t, foreachFlow(func(s *S, c *stepflow.Context) error {
		var m map[string]int
		m["x"]++
		return nil
	}))
	if got := res.Err().Error(); !strings.Contains(got, "panic: assignment to entry in nil map") {
		t.Errorf("panic: %s", got)
	}
	if got := res.Failures()[0].Err; !strings.Contains(got, "stepflowtest_test.TestPanic") {
		t.Errorf("the stack does not show the panicking function:\n%s", got)
	}
}

func TestCatchAndEnv(t *testing.T) {
	const key = "STEPFLOWTEST_VAR"
	f := stepflow.New[S]("TestFlow").
		Step("start", func(s *S, c *stepflow.Context) error {
			s.Env = os.Getenv(key)
			return nil
		}, stepflow.Next("risky"), stepflow.Env{key: "set"}).
		Step("risky", func(s *S, c *stepflow.Context) error { return errors.New("no") },
			stepflow.Next("end"), stepflow.Catch("Caught")).
		Step("end", func(s *S, c *stepflow.Context) error {
			s.Word = os.Getenv(key) + "|"
			return nil
		})
	end := stepflowtest.Run(t, f).End()
	want := stepflow.Failure{Step: "risky", Error: "step risky: no", Attempts: 1}
	if end.Env != "set" || end.Word != "|" || end.Caught != want {
		t.Errorf("end: %+v", *end)
	}
	if v, ok := os.LookupEnv(key); ok {
		t.Errorf("%s=%q after the run", key, v)
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    *stepflow.Flow[S]
		opts []stepflowtest.Option
		want string
	}{
		{"unknown param", foreachFlow(end), []stepflowtest.Option{stepflowtest.Params{"alpha": 1}}, "the flow has no parameter named alpha"},
		{"bad param", foreachFlow(end), []stepflowtest.Option{stepflowtest.Params{"rate": "fast"}}, "rate"},
		{"wrong type", foreachFlow(end), []stepflowtest.Option{stepflowtest.Params{"rate": 1}}, "parameter rate is a float64; give a float64 or a string, not a int"},
		{"required", stepflow.New[S]("TestFlow").Param("word", "", "w", stepflow.Required()).
			Step("start", end, stepflow.Next("end")).Step("end", end), nil, "parameter word is required"},
		{"unknown config", foreachFlow(end), []stepflowtest.Option{stepflowtest.Configs{"x": "x.json"}}, "the flow has no config named x"},
		{"lint", stepflow.New[S]("TestFlow").Step("start", end, stepflow.Next("nowhere")).Step("end", end), nil, "does not pass the checks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := fatal(t, func(tb testing.TB) { stepflowtest.Run(tb, tc.f, tc.opts...) })
			if !strings.Contains(msg, tc.want) {
				t.Errorf("got %s\nwant it to contain %q", msg, tc.want)
			}
		})
	}
}
