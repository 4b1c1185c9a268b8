package deploy

import (
	"context"
	"encoding/json"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepflow/stepflow/internal/trigger"
)

// HookEventID is the event id in the Trigger block of an execution that
// StartHook started: no EventBridge event started it.
const HookEventID = "step-functions hook"

// StartHook runs the exit hook of run, which has ended, again or for the
// first time (Step Functions delivers its status change events on a
// best-effort basis, so the event that starts the hook of a failed run
// may never come; docs/state-machine.md "Exit hook"): it starts an
// execution of the deployment with the input the hook's rule would give
// it, the run's id and how its execution ended, and returns the new
// execution's run id. A run that has not ended is refused.
func (o *Ops) StartHook(ctx context.Context, run string) (string, error) {
	d, err := o.deployed(ctx)
	if err != nil {
		return "", err
	}
	ex, err := o.execution(ctx, d, run)
	if err != nil {
		return "", err
	}
	status := string(ex.Status)
	if ex.Status == sfntypes.ExecutionStatusRunning || ex.Status == sfntypes.ExecutionStatusPendingRedrive {
		return "", userf("run %s is %s: its exit hook runs once it ends; watch it with '%s step-functions status %s'", run, status, o.Prog, run)
	}
	input, err := json.Marshal(map[string]any{
		trigger.HookField: map[string]string{"RunId": run, "Status": status},
		"Trigger":         map[string]string{"type": trigger.ByHook, "run": run, "status": status, "id": HookEventID},
	})
	if err != nil {
		return "", err
	}
	return o.start(ctx, string(input), "")
}
