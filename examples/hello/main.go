// Command hello is the smallest flow: a linear chain of three steps.
//
//	go run ./examples/hello run
package main

import (
	"strings"

	"github.com/stepflow/stepflow"
)

// HelloFlow builds a greeting in three steps.
type HelloFlow struct {
	Name     string // parameter
	Greeting string
	Shout    string
	Length   int
}

// Start builds the greeting.
func (f *HelloFlow) Start(c *stepflow.Context) error {
	f.Greeting = "Hello, " + f.Name + "!"
	c.Printf("greeting: %s\n", f.Greeting)
	return nil
}

// Loud upper-cases it.
func (f *HelloFlow) Loud(c *stepflow.Context) error {
	f.Shout = strings.ToUpper(f.Greeting)
	return nil
}

// End measures it.
func (f *HelloFlow) End(c *stepflow.Context) error {
	f.Length = len(f.Shout)
	c.Printf("%s (%d characters)\n", f.Shout, f.Length)
	return nil
}

// newFlow declares the flow: main runs it, main_test.go tests it.
func newFlow() *stepflow.Flow[HelloFlow] {
	return stepflow.New[HelloFlow]("HelloFlow").
		Param("name", "world", "who to greet").
		Step("start", (*HelloFlow).Start, stepflow.Next("loud")).
		Step("loud", (*HelloFlow).Loud, stepflow.Next("end")).
		Step("end", (*HelloFlow).End)
}

func main() { stepflow.Main(newFlow()) }
