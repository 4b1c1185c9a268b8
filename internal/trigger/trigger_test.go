package trigger_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/trigger"
)

const event = `{"version":"0","id":"e-1","source":"stepflow","detail-type":"data.ready","time":"2026-01-02T03:04:05Z",
"detail":{"date":"2026-01-02","n":5,"ok":true,"obj":{"a":"b"},"list":["x","y"],"q":"say \"hi\""}}`

// TestTransform follows EventBridge's documented input transformation:
// strings inserted unescaped, other values as JSON, quotes stripped from
// an object inside a string, missing paths leave the placeholder empty,
// invalid JSON results are refused.
func TestTransform(t *testing.T) {
	paths := map[string]string{"d": "$.detail.date", "n": "$.detail.n", "ok": "$.detail.ok", "obj": "$.detail.obj",
		"l0": "$.detail.list[1]", "none": "$.detail.missing", "q": "$.detail.q", "id": "$.id"}
	cases := []struct{ tmpl, want, err string }{
		{`{"a":"<d>","n":"<n>","b":"<ok>"}`, `{"a":"2026-01-02","n":"5","b":"true"}`, ""},
		{`{"n":<n>,"o":<obj>}`, `{"n":5,"o":{"a":"b"}}`, ""},
		{`{"o":"obj is <obj>"}`, `{"o":"obj is {a:b}"}`, ""},
		{`{"x":"<l0>","m":"<none>","id":"<id>"}`, `{"x":"y","m":"","id":"e-1"}`, ""},
		{`{"lit":"<notavar>"}`, `{"lit":"<notavar>"}`, ""},
		{`{"esc":"a\"<d>"}`, `{"esc":"a\"2026-01-02"}`, ""},
		{`{"q":"<q>"}`, "", "invalid JSON"},
		{`<d> is the date`, `2026-01-02 is the date`, ""},
	}
	for _, tc := range cases {
		got, err := trigger.Transform(paths, tc.tmpl, []byte(event))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.tmpl, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %s, %v; want %s", tc.tmpl, got, err, tc.want)
		}
	}
	if _, err := trigger.Transform(paths, "{}", []byte("not json")); err == nil {
		t.Error("an event that is not JSON was accepted")
	}
}

func testFlow() *flow.Flow {
	return &flow.Flow{Name: "Down", Triggers: []*flow.Trigger{
		{Kind: flow.OnEvent, Event: "data.ready", Mappings: []flow.Mapping{{Param: "date", Path: "detail.date"}, {Param: "n", Path: "detail.n"}}},
		{Kind: flow.OnFinish, Flow: "Up", OnlySuccess: true, Mappings: []flow.Mapping{{Param: "upstream", Path: "pathspec"}, {Param: "st", Path: "status"}}},
	}}
}

const upArn = "arn:aws:states:us-east-1:123456789012:stateMachine:proj-Up"

func TestBuild(t *testing.T) {
	f := testFlow()
	up := func(*flow.Trigger) string { return upArn }
	r, err := trigger.Build(f, f.Triggers[0], up)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"detail-type":["data.ready"],"source":["stepflow"]}`; r.Pattern != want {
		t.Errorf("pattern %s, want %s", r.Pattern, want)
	}
	in, err := r.Start([]byte(event))
	if err != nil {
		t.Fatal(err)
	}
	if in.Parameters["date"] != "2026-01-02" || in.Parameters["n"] != "5" || len(in.Parameters) != 2 {
		t.Errorf("parameters %v", in.Parameters)
	}
	if in.Trigger["type"] != "event" || in.Trigger["event"] != "data.ready" || in.Trigger["id"] != "e-1" {
		t.Errorf("trigger %v", in.Trigger)
	}

	r, err = trigger.Build(f, f.Triggers[1], up)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(r.Pattern), &p); err != nil {
		t.Fatal(err)
	}
	if want := `{"detail":{"stateMachineArn":["` + upArn + `"],"status":["SUCCEEDED"]},"detail-type":["Step Functions Execution Status Change"],"source":["aws.states"]}`; r.Pattern != want {
		t.Errorf("pattern %s, want %s", r.Pattern, want)
	}
	fin := `{"id":"e-2","source":"aws.states","detail-type":"Step Functions Execution Status Change","detail":{"stateMachineArn":"` + upArn + `","name":"abc","status":"SUCCEEDED"}}`
	in, err = r.Start([]byte(fin))
	if err != nil {
		t.Fatal(err)
	}
	if in.Parameters["upstream"] != "Up/sfn-abc" || in.Parameters["st"] != "SUCCEEDED" {
		t.Errorf("parameters %v", in.Parameters)
	}
	if in.Trigger["type"] != "run" || in.Trigger["upstream"] != "Up/sfn-abc" {
		t.Errorf("trigger %v", in.Trigger)
	}
}

func TestMatch(t *testing.T) {
	f := testFlow()
	tr, _, err := trigger.Match(f, []byte(event))
	if err != nil || tr != f.Triggers[0] {
		t.Errorf("user event: %v, %v", tr, err)
	}
	fin := `{"source":"aws.states","detail-type":"Step Functions Execution Status Change","detail":{"stateMachineArn":"` + upArn + `","name":"abc","status":"FAILED"}}`
	if _, _, err := trigger.Match(f, []byte(fin)); err == nil || !strings.Contains(err.Error(), "only on SUCCEEDED") {
		t.Errorf("failed upstream: %v", err)
	}
	other := strings.Replace(fin, "proj-Up", "proj-Upper", 1)
	if _, _, err := trigger.Match(f, []byte(other)); err == nil || !strings.Contains(err.Error(), "no trigger of flow Down matches") {
		t.Errorf("another flow: %v", err)
	}
	if _, _, err := trigger.Match(f, []byte(`{"detail":{}}`)); err == nil || !strings.Contains(err.Error(), `no "source"`) {
		t.Errorf("no envelope: %v", err)
	}
}

// TestMatchProject: a local finish event must come from a state machine of
// the project the deployed rule listens to.
func TestMatchProject(t *testing.T) {
	f := testFlow()
	f.Project = "proj"
	ev := func(machine, status string) []byte {
		return []byte(`{"source":"aws.states","detail-type":"Step Functions Execution Status Change","detail":{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:` +
			machine + `","name":"abc","status":"` + status + `"}}`)
	}
	for machine, ok := range map[string]bool{
		"proj-Up": true, "proj-main-Up": true, "pre_proj-Up": true, "pre_proj-main-Up": true,
		"Up": false, "other-Up": false, "pre_other-Up": false, "main-Up": false,
	} {
		_, _, err := trigger.Match(f, ev(machine, "SUCCEEDED"))
		if ok != (err == nil) {
			t.Errorf("%s: err %v, want ok=%v", machine, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), `in project "proj"`) {
			t.Errorf("%s: %v", machine, err)
		}
	}
	f.Triggers[1].NoProject = true
	if _, _, err := trigger.Match(f, ev("Up", "SUCCEEDED")); err != nil {
		t.Errorf("InProject(\"\") and machine Up: %v", err)
	}
	f.Triggers[1].NoProject, f.Triggers[1].Project = false, "other"
	if _, _, err := trigger.Match(f, ev("other-Up", "SUCCEEDED")); err != nil {
		t.Errorf("InProject(\"other\") and machine other-Up: %v", err)
	}
}
