package flowcmd

import (
	"fmt"
	"os"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/trigger"
	"github.com/stepflow/stepflow/internal/usage"
)

// eventParams reads the EventBridge event in file, finds the trigger of
// def it matches, and sets the parameters its mappings give (through the
// same input transformer EventBridge applies) unless given as flags. It
// returns the event field each parameter set came from, and what started
// the run (the Trigger block the rule gives the deployed flow).
func eventParams(def *flow.Flow, file string, params map[string]*optString) (from, started map[string]string, err error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, usage.Errorf("--event: %v", err)
	}
	t, rule, err := trigger.Match(def, data)
	if err != nil {
		return nil, nil, usage.Errorf("--event %s: %v", file, err)
	}
	in, err := rule.Start(data)
	if err != nil {
		return nil, nil, usage.Errorf("--event %s: %v", file, err)
	}
	from = map[string]string{}
	for _, m := range t.Mappings {
		v, ok := in.Parameters[m.Param]
		p := params[m.Param]
		if !ok || p == nil || p.set {
			continue
		}
		p.v, p.set = v, true
		from[m.Param] = fmt.Sprintf("%s (%q)", m.Path, v)
	}
	return from, in.Trigger, nil
}
