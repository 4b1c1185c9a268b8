package trigger

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
)

// Event is the envelope of an EventBridge event: what a rule's pattern
// and Match look at.
type Event struct {
	ID         string `json:"id"`
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Detail     struct {
		StateMachineArn string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Status          string `json:"status"`
	} `json:"detail"`
}

// Match finds the trigger of f that event starts the flow by, for a local
// run (run --event): a user event by its source and name, a finish event
// by its status, the upstream flow's name at the end of its state
// machine's name and the project the deployed rule expects at its start
// (the deployment's branch and name prefix are not known locally, so they
// are not checked). It returns the rule of that trigger, with the event's own
// state machine ARN as the upstream.
func Match(f *flow.Flow, event []byte) (*flow.Trigger, Rule, error) {
	var ev Event
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, Rule{}, fmt.Errorf("the event is not a JSON object of an EventBridge event: %v", err)
	}
	if ev.Source == "" || ev.DetailType == "" {
		return nil, Rule{}, fmt.Errorf(`the event has no "source" or no "detail-type"; write it as EventBridge delivers it: {"source": %q, "detail-type": "NAME", "detail": {...}}`, Source)
	}
	var names []string
	for _, t := range f.Triggers {
		switch t.Kind {
		case flow.OnEvent:
			names = append(names, fmt.Sprintf("event %s (source %s)", t.Event, Source))
			if ev.Source != Source || ev.DetailType != t.Event {
				continue
			}
		case flow.OnFinish:
			names = append(names, fmt.Sprintf("finish of %s (source %s)", t.Flow, FinishSource))
			machine := ev.Detail.StateMachineArn[strings.LastIndexByte(ev.Detail.StateMachineArn, ':')+1:]
			ok := ev.Source == FinishSource && ev.DetailType == FinishDetailType &&
				(machine == t.Flow || strings.HasSuffix(machine, "-"+t.Flow) || strings.HasSuffix(machine, "_"+t.Flow))
			if !ok {
				continue
			}
			if err := checkProject(f, t, machine); err != nil {
				return nil, Rule{}, err
			}
			if st := ev.Detail.Status; !slices.Contains(FinishStatuses, st) || (t.OnlySuccess && st != "SUCCEEDED") {
				return nil, Rule{}, fmt.Errorf("the finish event of %s has status %q; the trigger starts the flow only on %s", t.Flow, st, map[bool]string{true: "SUCCEEDED", false: strings.Join(FinishStatuses, ", ")}[t.OnlySuccess])
			}
		}
		r, err := Build(f, t, func(*flow.Trigger) string { return ev.Detail.StateMachineArn })
		return t, r, err
	}
	if len(names) == 0 {
		return nil, Rule{}, fmt.Errorf("flow %s has no trigger; declare one with Trigger(stepflow.OnEvent(...)) or TriggerOnFinish", f.Name)
	}
	return nil, Rule{}, fmt.Errorf("no trigger of flow %s matches the event (source %q, detail-type %q); its triggers: %s", f.Name, ev.Source, ev.DetailType, strings.Join(names, "; "))
}

// checkProject refuses a finish event whose state machine is not deployed
// in the project the trigger listens to, as the deployed rule would: a
// state machine is named [PREFIX_][PROJECT-][BRANCH-]FLOW.
func checkProject(f *flow.Flow, t *flow.Trigger, machine string) error {
	project := t.UpstreamProject(f)
	if project == "" {
		return nil
	}
	name := machine
	if i := strings.IndexByte(name, '_'); i >= 0 && !strings.HasPrefix(name, project+"-") {
		name = name[i+1:] // a name prefix
	}
	if strings.HasPrefix(name, project+"-") {
		return nil
	}
	return fmt.Errorf("the finish event is of state machine %s, but the trigger listens to %s in project %q (deployed as %s-[BRANCH-]%s); "+
		"send an event of that deployment, or declare the upstream's project with stepflow.InProject(\"NAME\") (InProject(\"\") for none)",
		machine, t.Flow, project, project, t.Flow)
}
