package trigger

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// What started a run: the "type" of the Trigger block of its execution
// input, which the start task records in the run record
// (datastore.Run.Trigger).
const (
	BySchedule = "schedule" // the flow's schedule (EventBridge Scheduler)
	ByUser     = "user"     // step-functions trigger, with the "user"
	ByEvent    = "event"    // a user event: its "event" name and "id"
	ByRun      = "run"      // an upstream run's finish: "upstream", "status", the event's "id"
)

// Schedule is the Trigger block of a run the flow's schedule started.
func Schedule() map[string]string { return map[string]string{"type": BySchedule} }

// User is the Trigger block of a run user started (user may be empty).
func User(user string) map[string]string {
	t := map[string]string{"type": ByUser}
	if user != "" {
		t["user"] = user
	}
	return t
}

// Describe says in a few words what started a run, from its Trigger
// block: "schedule", "user ada", "event data.ready (id 1f2e...)",
// "run IngestFlow/sfn-... SUCCEEDED (event id ...)"; "" for none.
func Describe(t map[string]string) string {
	if len(t) == 0 {
		return ""
	}
	id := ""
	if t["id"] != "" {
		id = " (event id " + t["id"] + ")"
	}
	switch t["type"] {
	case BySchedule:
		return "schedule"
	case ByUser:
		return strings.TrimSpace("user " + t["user"])
	case ByEvent:
		return fmt.Sprintf("event %s%s", t["event"], id)
	case ByRun:
		return fmt.Sprintf("run %s %s%s", t["upstream"], t["status"], id)
	case ByHook:
		return fmt.Sprintf("exit hook of run %s %s%s", t["run"], t["status"], id)
	}
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(t)) {
		kv = append(kv, k+"="+t[k])
	}
	return strings.Join(kv, " ")
}
