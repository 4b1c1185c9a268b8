package main

import (
	"testing"

	"github.com/stepflow/stepflow/stepflowtest"
)

func TestHelloFlow(t *testing.T) {
	res := stepflowtest.Run(t, newFlow())
	want := HelloFlow{Name: "world", Greeting: "Hello, world!", Shout: "HELLO, WORLD!", Length: 13}
	if got := *res.End(); got != want {
		t.Errorf("end state:\n got %+v\nwant %+v", got, want)
	}
	if got, want := res.Output("start"), "greeting: Hello, world!\n"; got != want {
		t.Errorf("start printed %q, want %q", got, want)
	}
}

func TestHelloFlowName(t *testing.T) {
	res := stepflowtest.Run(t, newFlow(), stepflowtest.Params{"name": "ada"})
	if got, want := res.End().Shout, "HELLO, ADA!"; got != want {
		t.Errorf("Shout = %q, want %q", got, want)
	}
}
