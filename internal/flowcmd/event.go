package flowcmd

import (
	"errors"
	"fmt"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/readlimit"
	"github.com/stepflow/stepflow/internal/trigger"
	"github.com/stepflow/stepflow/internal/usage"
)

// eventParams reads the EventBridge event in file, finds the trigger of
// def it matches, and sets the parameters its mappings give (through the
// same input transformer EventBridge applies) unless given as flags. It
// returns the event field each parameter set came from, and what started
// the run (the Trigger block the rule gives the deployed flow).
func eventParams(def *flow.Flow, file string, params map[string]*optString) (from, started map[string]string, err error) {
	data, err := readEvent(file)
	if err != nil {
		return nil, nil, err
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

// MaxEventSize is the largest event file run --event reads, 1 MiB: an
// EventBridge event is a small JSON document (EventBridge caps the size
// of the events it delivers well below this); anything larger is not an
// event.
const MaxEventSize = 1 << 20

// readEvent reads an event file: an empty name, a directory, a missing
// file or one over MaxEventSize (a device, a pipe that does not end) is
// bad input, refused before or while reading, never read past the limit.
func readEvent(file string) ([]byte, error) {
	if file == "" {
		return nil, usage.Errorf("--event is empty; give the path of a JSON file holding an EventBridge event, or leave --event out to run without one")
	}
	data, err := readlimit.File(file, MaxEventSize)
	var tl *readlimit.TooLargeError
	switch {
	case errors.Is(err, readlimit.ErrDirectory):
		return nil, usage.Errorf("--event: %v", err)
	case errors.As(err, &tl):
		return nil, usage.Errorf("--event: %v; an event is one EventBridge event (a small JSON document): give its file", err)
	case err != nil:
		return nil, usage.Errorf("--event: %v; give the path of a JSON file holding an EventBridge event", err)
	}
	return data, nil
}
