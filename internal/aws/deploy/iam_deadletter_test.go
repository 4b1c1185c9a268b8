package deploy_test

import (
	"os"
	"reflect"
	"testing"
)

// The dead-letter queue takes what a schedule or a rule could not start:
// EventBridge Scheduler sends with the schedule's role (the Scheduler
// role), EventBridge sends a rule's events with the queue's resource
// policy, which must name the events service and let only the account's
// rules send.
func TestIAMDeadLetters(t *testing.T) {
	dlq := map[string]string{"QueueName": "stepflow-dead-letters"}
	for _, m := range authorize(templatePolicies(t)["SchedulerRole"], call{action: "sqs:SendMessage", ids: dlq}, nil) {
		t.Errorf("the Scheduler role cannot send a schedule's dead letters: it lacks %s", m)
	}

	data, err := os.ReadFile("../../../deploy/cloudformation/stepflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := parseYAML(t, data).(map[string]any)["Resources"].(map[string]any)
	pol, ok := res["DeadLetterQueuePolicy"].(map[string]any)
	if !ok {
		t.Fatal("the template has no DeadLetterQueuePolicy")
	}
	var events []any // the statements for the events service
	for _, s := range pol["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		if reflect.DeepEqual(s.(map[string]any)["Principal"], map[string]any{"Service": "events.amazonaws.com"}) {
			events = append(events, s)
		}
	}
	rule := map[string]string{"aws:SourceArn": "arn:aws:events:" + iamRegion + ":" + iamAccount + ":rule/HelloFlow.0123abcd"}
	for _, m := range authorize(events, call{action: "sqs:SendMessage", ids: dlq, context: rule}, nil) {
		t.Errorf("the queue policy does not let EventBridge send a rule's dead letters: it lacks %s", m)
	}
	other := map[string]string{"aws:SourceArn": "arn:aws:events:" + iamRegion + ":999999999999:rule/HelloFlow.0123abcd"}
	if len(authorize(events, call{action: "sqs:SendMessage", ids: dlq, context: other}, nil)) == 0 {
		t.Error("the queue policy lets the rules of another account send to the queue")
	}
}
