package stepflow_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stepflow/stepflow"
)

// WordFlow measures words, one foreach task per word.
type WordFlow struct {
	Words  []string // set by start; the foreach runs measure once per word
	Word   string   // one measure task's word
	Length int      // one measure task's length
	Total  int      // the sum, computed by the join
}

func (f *WordFlow) Start(c *stepflow.Context) error {
	f.Words = []string{"go", "flow"}
	return nil
}

func (f *WordFlow) Measure(c *stepflow.Context) error {
	f.Word = stepflow.Item[string](c)
	f.Length = len(f.Word)
	return nil
}

func (f *WordFlow) Join(c *stepflow.Context, in []*WordFlow) error {
	f.Total = 0
	for _, t := range in {
		f.Total += t.Length
	}
	return nil
}

func (f *WordFlow) End(c *stepflow.Context) error {
	c.Printf("%d words, %d letters\n", len(f.Words), f.Total)
	return nil
}

// newWordFlow declares the flow. The flow program's main runs it with
// stepflow.Main, and its tests with stepflowtest.Run.
func newWordFlow() *stepflow.Flow[WordFlow] {
	return stepflow.New[WordFlow]("WordFlow").
		Step("start", (*WordFlow).Start, stepflow.Foreach("Words", "measure")).
		Step("measure", (*WordFlow).Measure, stepflow.Next("join")).
		Join("join", (*WordFlow).Join, stepflow.Next("end")).
		Step("end", (*WordFlow).End)
}

// A flow is a state struct, its steps (methods), and a declaration of the
// graph with New, Step and Join. The steps are plain functions: this
// example calls two of them directly, with the zero Context.
func Example() {
	_ = newWordFlow() // func main() { stepflow.Main(newWordFlow()) }

	var c stepflow.Context
	f := &WordFlow{Words: []string{"go", "flow"}}
	_ = f.Join(&c, []*WordFlow{{Length: 2}, {Length: 4}})
	_ = f.End(&c)
	// Output: 2 words, 6 letters
}

// Main is the whole main function of a flow program: it gives the binary
// its commands (run, check, show, step-functions create, ...).
func ExampleMain() {
	main := func() {
		stepflow.Main(newWordFlow())
	}
	_ = main // go run . run
}

// A foreach runs a step once per element of a slice field; the join gets
// the tasks' states in index order.
func ExampleForeach() {
	_ = stepflow.New[WordFlow]("WordFlow").
		Step("start", (*WordFlow).Start, stepflow.Foreach("Words", "measure")).
		Step("measure", (*WordFlow).Measure, stepflow.Next("join")).
		Join("join", (*WordFlow).Join, stepflow.Next("end")).
		Step("end", (*WordFlow).End)

	// What the join does with three measure tasks:
	var c stepflow.Context
	f := &WordFlow{}
	_ = f.Join(&c, []*WordFlow{{Length: 5}, {Length: 4}, {Length: 5}})
	fmt.Println(f.Total)
	// Output: 14
}

// Stats computes two numbers in parallel branches.
type Stats struct {
	Numbers []int
	Sum     int
	Max     int
}

// A branch runs its targets in parallel; a join takes their states in
// the Branch's order.
func ExampleBranch() {
	noop := func(*Stats, *stepflow.Context) error { return nil }
	join := func(s *Stats, c *stepflow.Context, in []*Stats) error {
		s.Sum, s.Max = in[0].Sum, in[1].Max // "sum" first, then "max"
		return nil
	}
	_ = stepflow.New[Stats]("StatsFlow").
		Step("start", noop, stepflow.Branch("sum", "max")).
		Step("sum", noop, stepflow.Next("join")).
		Step("max", noop, stepflow.Next("join")).
		Join("join", join, stepflow.Next("end")).
		Step("end", noop)

	s := &Stats{}
	_ = join(s, &stepflow.Context{}, []*Stats{{Sum: 10}, {Max: 4}})
	fmt.Println(s.Sum, s.Max)
	// Output: 10 4
}

// Route picks one of two paths at run time.
type Route struct {
	Size int
	Path string // the switch field
	Out  string
}

// A switch continues with the step that its field's value names; the
// chosen step goes on by itself (there is no join).
func ExampleSwitch() {
	start := func(r *Route, c *stepflow.Context) error {
		r.Path = "small"
		if r.Size > 100 {
			r.Path = "large"
		}
		return nil
	}
	noop := func(*Route, *stepflow.Context) error { return nil }
	_ = stepflow.New[Route]("RouteFlow").
		Param("size", 10, "input size").
		Step("start", start, stepflow.Switch("Path", stepflow.Cases{"small": "quick", "large": "slow"})).
		Step("quick", noop, stepflow.Next("end")).
		Step("slow", noop, stepflow.Next("end")).
		Step("end", noop)

	r := &Route{Size: 500}
	_ = start(r, &stepflow.Context{})
	fmt.Println(r.Path)
	// Output: large
}

// Settings is a config file's content.
type Settings struct {
	Prefix string `json:"prefix"`
}

// Greet has parameters and a config.
type Greet struct {
	Name     string        // --name, required
	Times    int           // --times, default 1
	Timeout  time.Duration // --max-wait, into a field of another name
	Settings Settings      // --config settings=FILE, default settings.json
	Out      string
}

// Each parameter is a flag of the run command, typed by its default; a
// config is a file read when the run starts.
func ExampleFlow_Param() {
	noop := func(*Greet, *stepflow.Context) error { return nil }
	_ = stepflow.New[Greet]("GreetFlow").
		Param("name", "", "who to greet", stepflow.Required()).
		Param("times", 1, "how many greetings").
		Param("max-wait", time.Minute, "how long to wait", stepflow.Field("Timeout")).
		Config("settings", "settings.json", "greeting settings (JSON)").
		Step("start", noop, stepflow.Next("end")).
		Step("end", noop)
}

// Fetch retries a flaky download and survives a failing one.
type Fetch struct {
	Data    string
	Failure stepflow.Failure // set when extra fails for good
}

// Retry tries a failed task again, Catch records a final failure and goes
// on, Timeout bounds each attempt.
func ExampleRetry() {
	download := func(f *Fetch, c *stepflow.Context) error {
		if c.Attempt() == 0 {
			return errors.New("connection reset") // the retry will do
		}
		f.Data = "payload"
		return nil
	}
	extra := func(f *Fetch, c *stepflow.Context) error { return errors.New("not found") }
	noop := func(*Fetch, *stepflow.Context) error { return nil }
	_ = stepflow.New[Fetch]("FetchFlow").
		Step("start", download, stepflow.Next("extra"),
			stepflow.Retry(3, time.Second).WithBackoff(2), stepflow.Timeout(time.Minute)).
		Step("extra", extra, stepflow.Next("end"), stepflow.Catch("Failure")).
		Step("end", noop)

	// The zero Context is a first attempt.
	fmt.Println(download(&Fetch{}, &stepflow.Context{}))
	// Output: connection reset
}

// Item returns the element of the foreach field that a task runs for,
// typed; a wrong type fails the task ("item is string, not int").
func ExampleItem() {
	measure := func(f *WordFlow, c *stepflow.Context) error {
		f.Word = stepflow.Item[string](c) // Words is a []string
		f.Length = len(f.Word)
		c.Printf("word %d of the foreach: %s\n", c.Index(), f.Word)
		return nil
	}
	_ = stepflow.New[WordFlow]("WordFlow").
		Step("start", (*WordFlow).Start, stepflow.Foreach("Words", "measure")).
		Step("measure", measure, stepflow.Next("join")).
		Join("join", (*WordFlow).Join, stepflow.Next("end")).
		Step("end", (*WordFlow).End)
}

// The zero Context stands in for a task in a unit test of a step: a
// first attempt, outside any foreach, printing to standard output.
func ExampleContext() {
	var c stepflow.Context
	c.Printf("attempt %d, index %d, step %q\n", c.Attempt(), c.Index(), c.Step())
	fmt.Println(c.Context() == context.Background(), c.Indices() == nil)
	// Output:
	// attempt 0, index -1, step ""
	// true true
}

// Report summarizes one day of data.
type Report struct {
	Date     string // parameter, from the event's detail.date
	Upstream string // parameter, the upstream run's pathspec
	Summary  string
}

// Trigger starts the deployed flow on a user event, whose fields become
// parameters; TriggerOnFinish starts it when another flow's run
// succeeds. Locally, `run --event event.json` starts a run as that event
// would.
func ExampleFlow_Trigger() {
	end := func(r *Report, c *stepflow.Context) error {
		r.Summary = "report of " + r.Date
		fmt.Println(r.Summary)
		return nil
	}
	_ = stepflow.New[Report]("ReportFlow").
		Param("date", "today", "the day to report").
		Param("upstream", "", "the run that produced the data").
		Step("start", func(*Report, *stepflow.Context) error { return nil }, stepflow.Next("end")).
		Step("end", end).
		// step-functions send-event data.ready --payload '{"date":"2026-01-02"}'
		Trigger(stepflow.OnEvent("data.ready", stepflow.Map("date", "detail.date"))).
		TriggerOnFinish("IngestFlow", stepflow.OnlyOnSuccess(), stepflow.Map("upstream", "pathspec"))

	// What the run started by that event does at its end step:
	_ = end(&Report{Date: "2026-01-02"}, &stepflow.Context{})
	// Output: report of 2026-01-02
}
