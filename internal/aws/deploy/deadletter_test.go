package deploy_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/stepflow/stepflow"
)

// scheduledAndTriggered is TestFlow with a schedule and two triggers.
func scheduledAndTriggered(b *stepflow.Flow[testFlow]) *stepflow.Flow[testFlow] {
	return twoTriggers(b).Schedule("0 3 * * *", "Europe/Paris")
}

// The dead-letter queue (dead_letter_queue) is set on the schedule's
// target and on every rule's target; a second create writes nothing; a
// changed or removed queue updates the schedule and the targets, nothing
// else.
func TestDeadLetterQueue(t *testing.T) {
	e := setup(t, false)
	e.opts.Graph = triggeredGraph(t, scheduledAndTriggered)
	const dlq = "arn:aws:sqs:us-east-1:123456789012:stepflow-dead-letters"
	e.opts.Settings.DeadLetterQueue = dlq
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	check := func(want string) {
		t.Helper()
		sc := e.f.Schedule("TestFlow")
		if sc == nil {
			t.Fatal("no schedule")
		}
		got := ""
		if d := sc.Target.DeadLetterConfig; d != nil {
			got = aws.ToString(d.Arn)
		}
		if got != want {
			t.Errorf("schedule's dead-letter queue %q, want %q", got, want)
		}
		rules := e.f.Rules()
		if len(rules) != 2 {
			t.Fatalf("rules %q, want 2", rules)
		}
		for _, name := range rules {
			tg := e.f.Rule(name).Targets[0]
			got := ""
			if d := tg.DeadLetterConfig; d != nil {
				got = aws.ToString(d.Arn)
			}
			if got != want {
				t.Errorf("rule %s: dead-letter queue %q, want %q", name, got, want)
			}
		}
	}
	check(dlq)

	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if got := e.f.Writes(); len(got) != 0 {
		t.Errorf("second deploy wrote %q, want nothing", got)
	}

	want := []string{"scheduler UpdateSchedule", "events PutTargets", "events PutTargets"}
	e.opts.Settings.DeadLetterQueue = dlq + "-2"
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if got := e.f.Writes(); !slices.Equal(got, want) {
		t.Errorf("another queue: wrote %q, want %q", got, want)
	}
	check(dlq + "-2")

	e.opts.Settings.DeadLetterQueue = ""
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if got := e.f.Writes(); !slices.Equal(got, want) {
		t.Errorf("no queue: wrote %q, want %q", got, want)
	}
	check("")
}
