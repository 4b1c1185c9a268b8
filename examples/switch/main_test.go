package main

import (
	"testing"

	"github.com/stepflow/stepflow/stepflowtest"
)

func TestSwitchFlow(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want SwitchFlow
		skip string // the step the switch does not take
	}{
		{"fast", SwitchFlow{Mode: "fast", Text: "stepflow", Route: "fast", Result: "STEPFLOW", Report: "fast:STEPFLOW"}, "thorough"},
		{"slow", SwitchFlow{Mode: "slow", Text: "stepflow", Route: "slow", Result: "wolfpets", Report: "slow:wolfpets"}, "quick"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			var opts []stepflowtest.Option
			if tc.mode != "fast" { // fast is the default
				opts = append(opts, stepflowtest.Params{"mode": tc.mode})
			}
			res := stepflowtest.Run(t, newFlow(), opts...)
			if got := *res.End(); got != tc.want {
				t.Errorf("end state:\n got %+v\nwant %+v", got, tc.want)
			}
			if n := len(res.Tasks(tc.skip)); n != 0 {
				t.Errorf("step %s ran %d times; want it skipped", tc.skip, n)
			}
		})
	}
}
