package trigger

import "testing"

func TestDescribe(t *testing.T) {
	cases := []struct {
		in   map[string]string
		want string
	}{
		{nil, ""},
		{Schedule(), "schedule"},
		{User("ada"), "user ada"},
		{User(""), "user"},
		{map[string]string{"type": ByEvent, "event": "data.ready", "id": "e-1"}, "event data.ready (event id e-1)"},
		{map[string]string{"type": ByRun, "upstream": "Up/sfn-x", "status": "SUCCEEDED", "id": "e-2"}, "run Up/sfn-x SUCCEEDED (event id e-2)"},
		// A block Stepflow did not write is shown as it is.
		{map[string]string{"type": "cron", "by": "ops"}, "by=ops type=cron"},
	}
	for _, c := range cases {
		if got := Describe(c.in); got != c.want {
			t.Errorf("Describe(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
