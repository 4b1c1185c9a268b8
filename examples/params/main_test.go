package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

// The config's default path is relative to the repository root; the test
// runs in this directory.
var settings = stepflowtest.Configs{"settings": "settings.toml"}

func TestParamsFlow(t *testing.T) {
	res := stepflowtest.Run(t, newFlow(), stepflowtest.Params{"name": "ada"}, settings)
	want := ParamsFlow{
		Greeting: "hello", Count: 3, Ratio: 0.5, Wait: 90 * time.Second, Weights: Weights{A: 2, B: 5}, Name: "ada",
		Settings: Settings{Prefix: ">> ", Scale: 4},
		Message:  ">> hello, ada", Style: "plain", Attempt: 1, Score: 16,
		Failure:     stepflow.Failure{Step: "risky", Error: "step risky: cannot divide 16 by zero", Attempts: 1},
		WaitSeconds: 90, Flags: "verbose=false",
		Summary: ">> hello, ada | score 16 | wait 90s | verbose=false | caught: step risky: cannot divide 16 by zero",
	}
	if got := *res.End(); got != want {
		t.Errorf("end state:\n got %+v\nwant %+v", got, want)
	}
	// compute failed once and was retried; risky failed and was caught.
	var failed []string
	for _, f := range res.Failures() {
		failed = append(failed, f.String())
	}
	if got := strings.Join(failed, "\n"); !strings.Contains(got, "compute/0 attempt 0: step compute: compute: transient failure") ||
		!strings.Contains(got, "risky/0 attempt 0: step risky: cannot divide 16 by zero") || len(failed) != 2 {
		t.Errorf("failed attempts:\n%s", got)
	}
}

func TestParamsFlowValues(t *testing.T) {
	res := stepflowtest.Run(t, newFlow(), settings, stepflowtest.Params{
		"name":    "bob",
		"count":   "5",                 // as on the command line
		"weights": Weights{A: 1, B: 1}, // or typed
		"wait":    2 * time.Minute,
		"verbose": true,
	})
	end := res.End()
	if end.Score != 5*4*0.5+1 || end.WaitSeconds != 120 || end.Flags != "verbose=true" || end.Message != ">> hello, bob" {
		t.Errorf("end state: %+v", *end)
	}
}
