package trigger

import (
	"encoding/json"
	"fmt"
)

// HookField is the field of the execution input that makes an execution
// of a flow's state machine the exit hook of another of its runs, one that
// failed: {"Hook": {"RunId": "sfn-...", "Status": "FAILED"}, "Trigger":
// {...}}, what the hook's rule (HookRule) starts the state machine with
// (docs/state-machine.md, "Exit hook").
const HookField = "Hook"

// ByHook is the Trigger type of an execution that runs the exit hook of a
// failed run: its "run", "status" and the event's "id".
const ByHook = "hook"

// HookStatuses are the statuses of an execution whose run failed: the
// hook's rule matches them.
var HookStatuses = []string{"FAILED", "TIMED_OUT", "ABORTED"}

// HookRule is the EventBridge rule of the exit hook of the flow deployed
// as state machine machineArn: Step Functions' status change of each of
// its executions that failed, timed out or was aborted, except the
// hook's own executions (their input starts with the Hook block), starts
// the state machine again with the Hook block naming the run and how it
// ended.
func HookRule(machineArn string) Rule {
	pattern := map[string]any{"source": []string{FinishSource}, "detail-type": []string{FinishDetailType},
		"detail": map[string]any{"stateMachineArn": []string{machineArn}, "status": HookStatuses,
			"input": []any{map[string]any{"anything-but": map[string]any{"prefix": `{"` + HookField + `"`}}}}}
	p, err := json.Marshal(pattern)
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return Rule{
		Pattern:       string(p),
		InputPathsMap: map[string]string{"name": "$.detail.name", "status": "$.detail.status", "event_id": "$.id"},
		InputTemplate: fmt.Sprintf(`{"%s":{"RunId":"sfn-<name>","Status":"<status>"},"Trigger":{"type":"%s","run":"sfn-<name>","status":"<status>","id":"<event_id>"}}`, HookField, ByHook),
		Summary:       "runs the exit hook of each run that fails (" + machineArn + ")",
	}
}
