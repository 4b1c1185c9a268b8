package deploy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/trigger"
)

// maxEventSize is EventBridge's limit on one PutEvents entry.
const maxEventSize = 256 << 10

// SendEvent publishes a user event on the default event bus: source
// Stepflow's (trigger.Source), detail-type name, detail the JSON object
// payload ("" for {}). It returns the event's id. Bad input (a name no
// trigger can declare, a payload that is not a JSON object or is too
// large) is the user's to fix.
func SendEvent(ctx context.Context, c *Clients, name, payload string) (string, error) {
	if !graph.ValidEventName(name) {
		return "", userf("event name %q is not valid: use letters, digits and . _ - : /, at most 128 characters, not starting with aws. (e.g. data.ready), as stepflow.OnEvent declares it", name)
	}
	if payload == "" {
		payload = "{}"
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(payload), &obj); err != nil || obj == nil {
		why := "it is not an object"
		if err != nil {
			why = err.Error()
		}
		return "", userf("--payload %.60q is not a JSON object (%s); EventBridge carries it as the event's detail, e.g. --payload '{\"date\": \"2026-01-02\"}'", payload, why)
	}
	if n := len(trigger.Source) + len(name) + len(payload); n > maxEventSize {
		return "", userf("the event takes %d bytes, over the %d EventBridge accepts; put large data on S3 and send its URL", n, maxEventSize)
	}
	out, err := c.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String(trigger.Source), DetailType: aws.String(name), Detail: aws.String(payload)}}})
	if err != nil {
		return "", awsErr("send event "+name, err)
	}
	if len(out.Entries) != 1 {
		return "", fmt.Errorf("send event %s: EventBridge answered %d entries for 1", name, len(out.Entries))
	}
	if e := out.Entries[0]; aws.ToString(e.ErrorCode) != "" || out.FailedEntryCount > 0 {
		return "", awsErr("send event "+name, &smithy.GenericAPIError{Code: aws.ToString(e.ErrorCode), Message: aws.ToString(e.ErrorMessage)})
	}
	return aws.ToString(out.Entries[0].EventId), nil
}
