package statemachine_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
)

type cfgState struct {
	Settings struct{ Prefix string }
	Limits   struct{ Max int }
	Failure  stepflow.Failure
}

func cfgNoop(*cfgState, *stepflow.Context) error { return nil }

const (
	hashA = "a25667d6a316a1be9cc52fe8c7a27b6e6c68aa567073c3a744dd933a6d3b5cbb"
	hashB = "0000000000000000000000000000000000000000000000000000000000000001"
)

// taskEnv returns the container environment of a Task state by name.
func taskEnv(t *testing.T, def []byte, state string) map[string]string {
	t.Helper()
	var d struct {
		States map[string]struct {
			Parameters struct {
				ContainerOverrides struct {
					Environment []map[string]string
				}
			}
		}
	}
	if err := json.Unmarshal(def, &d); err != nil {
		t.Fatal(err)
	}
	st, ok := d.States[state]
	if !ok {
		t.Fatalf("no state %s", state)
	}
	out := map[string]string{}
	for i, kv := range st.Parameters.ContainerOverrides.Environment {
		name := kv["Name"]
		out[name] = kv["Value"]
		if name == statemachine.EnvConfigs {
			// Right after the parameters.
			prev := st.Parameters.ContainerOverrides.Environment[i-1]["Name"]
			if prev != statemachine.EnvParams {
				t.Errorf("%s: %s follows %s, not %s", state, statemachine.EnvConfigs, prev, statemachine.EnvParams)
			}
		}
	}
	return out
}

// The frozen configs reach the start task (and its catch handler) as a
// literal JSON object; no other task gets them; every config needs a
// valid hash and no unknown one is accepted.
func TestConfigsInStartTask(t *testing.T) {
	f := flow.MustDefinitionOf(stepflow.New[cfgState]("CfgFlow").
		Config("settings", "settings.json", "prefix").
		Config("limits", "limits.json", "limits").
		Step("start", cfgNoop, stepflow.Next("end"), stepflow.Catch("Failure")).
		Step("end", cfgNoop))

	s := testSettings()
	s.Configs = map[string]string{"settings": hashA, "limits": hashB}
	r := compile(t, f, s)
	want := `{"limits":"` + hashB + `","settings":"` + hashA + `"}`
	for _, state := range []string{"start", "start.Caught"} {
		if got := taskEnv(t, r.Definition, state)[statemachine.EnvConfigs]; got != want {
			t.Errorf("%s: %s = %q, want %q", state, statemachine.EnvConfigs, got, want)
		}
	}
	if _, ok := taskEnv(t, r.Definition, "end")[statemachine.EnvConfigs]; ok {
		t.Error("the end task gets the configs")
	}
	again := compile(t, f, s)
	if string(again.Definition) != string(r.Definition) {
		t.Error("the same configs compile to different bytes")
	}
	for _, jd := range r.JobDefinitions {
		b, _ := json.Marshal(jd)
		if strings.Contains(string(b), hashA) {
			t.Errorf("job definition %s holds a config hash: a config change would register new ones", jd.JobDefinitionName)
		}
	}

	for _, tc := range []struct {
		name    string
		configs map[string]string
		want    string
	}{
		{"none", nil, "config limits has no frozen value"},
		{"one missing", map[string]string{"settings": hashA}, "config limits has no frozen value"},
		{"bad hash", map[string]string{"settings": hashA, "limits": "abc"}, `config limits: "abc" is not a blob hash`},
		{"upper case", map[string]string{"settings": strings.ToUpper(hashA), "limits": hashB}, "config settings"},
		{"unknown", map[string]string{"settings": hashA, "limits": hashB, "other": hashA}, "no config named other"},
	} {
		s := testSettings()
		s.Configs = tc.configs
		_, err := statemachine.Compile(mustGraph(t, f), s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
	}

	// A flow without configs has no STEPFLOW_CONFIGS.
	if _, ok := taskEnv(t, compile(t, linear(2), testSettings()).Definition, "start")[statemachine.EnvConfigs]; ok {
		t.Error("a flow without configs gets STEPFLOW_CONFIGS")
	}
}

// The start task's overrides must leave the parameters the room
// step-functions trigger admits (statemachine.MaxParamsChars), whatever the
// configs and the step's environment take; other steps need not.
func TestStartOverridesLeaveRoomForParams(t *testing.T) {
	big := strings.Repeat("v", 2500) // fits 8,192 alone, not with 6,144 of parameters
	for _, onStart := range []bool{true, false} {
		startOpts := []stepflow.StepOption{stepflow.Next("middle")}
		middleOpts := []stepflow.StepOption{stepflow.Next("end")}
		if onStart {
			startOpts = append(startOpts, stepflow.Env{"BIG": big})
		} else {
			middleOpts = append(middleOpts, stepflow.Env{"BIG": big})
		}
		f := flow.MustDefinitionOf(stepflow.New[S]("RoomFlow").Step("start", noop, startOpts...).
			Step("middle", noop, middleOpts...).Step("end", noop))

		_, err := statemachine.Compile(mustGraph(t, f), testSettings())
		var e *statemachine.Error
		switch {
		case !onStart && err != nil:
			t.Errorf("a big environment on another step: %v", err)
		case onStart && (!errors.As(err, &e) || e.Step != "start" || e.Limit != "container overrides" || !strings.Contains(e.Problem, "for the parameters")):
			t.Errorf("a big environment on the start step: %v", err)
		}
	}
}
