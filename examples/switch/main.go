// Command switch takes one of two paths, chosen at run time: start copies
// the --mode parameter into Route, and the switch on Route runs either
// quick (upper-case the text) or thorough (reverse it). Both continue to
// report, an ordinary step (a switch needs no join).
//
//	go run ./examples/switch run                # quick
//	go run ./examples/switch run --mode slow    # thorough
//
// Final artifacts (default --mode fast): Text="stepflow", Route="fast",
// Result="STEPFLOW", Report="fast:STEPFLOW".
// With --mode slow: Route="slow", Result="wolfpets", Report="slow:wolfpets".
package main

import (
	"strings"

	"github.com/stepflow/stepflow"
)

// SwitchFlow transforms a text one of two ways.
type SwitchFlow struct {
	Mode   string // parameter: fast or slow
	Text   string
	Route  string // the switch field
	Result string
	Report string
}

// Start picks the route.
func (f *SwitchFlow) Start(c *stepflow.Context) error {
	f.Text = "stepflow"
	f.Route = f.Mode
	return nil
}

// Quick upper-cases the text.
func (f *SwitchFlow) Quick(c *stepflow.Context) error {
	f.Result = strings.ToUpper(f.Text)
	return nil
}

// Thorough reverses the text.
func (f *SwitchFlow) Thorough(c *stepflow.Context) error {
	r := []rune(f.Text)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	f.Result = string(r)
	return nil
}

// ReportStep runs after either case.
func (f *SwitchFlow) ReportStep(c *stepflow.Context) error {
	f.Report = f.Route + ":" + f.Result
	return nil
}

// End prints the report.
func (f *SwitchFlow) End(c *stepflow.Context) error {
	c.Printf("%s\n", f.Report)
	return nil
}

// newFlow declares the flow: main runs it, main_test.go tests it.
func newFlow() *stepflow.Flow[SwitchFlow] {
	return stepflow.New[SwitchFlow]("SwitchFlow").
		Param("mode", "fast", "which path to take: fast or slow").
		Step("start", (*SwitchFlow).Start,
			stepflow.Switch("Route", stepflow.Cases{"fast": "quick", "slow": "thorough"})).
		Step("quick", (*SwitchFlow).Quick, stepflow.Next("report")).
		Step("thorough", (*SwitchFlow).Thorough, stepflow.Next("report")).
		Step("report", (*SwitchFlow).ReportStep, stepflow.Next("end")).
		Step("end", (*SwitchFlow).End)
}

func main() { stepflow.Main(newFlow()) }
