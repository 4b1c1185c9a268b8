package statemachine

import (
	"encoding/json"
	"fmt"

	"github.com/stepflow/stepflow/internal/schedule"
	"github.com/stepflow/stepflow/internal/trigger"
)

// Schedule mirrors the EventBridge Scheduler CreateSchedule request that
// starts the state machine on the flow's cron schedule, in its time zone.
type Schedule struct {
	Name                       string             `json:"Name"`
	Description                string             `json:"Description"`
	ScheduleExpression         string             `json:"ScheduleExpression"`
	ScheduleExpressionTimezone string             `json:"ScheduleExpressionTimezone"`
	FlexibleTimeWindow         FlexibleTimeWindow `json:"FlexibleTimeWindow"`
	State                      string             `json:"State"`
	Target                     ScheduleTarget     `json:"Target"`
}

// FlexibleTimeWindow is off: runs start on time.
type FlexibleTimeWindow struct {
	Mode string `json:"Mode"`
}

// ScheduleTarget is the state machine and the execution input.
type ScheduleTarget struct {
	Arn     string `json:"Arn"`               // state machine ARN; empty until deploy when the account is unknown
	RoleArn string `json:"RoleArn,omitempty"` // the scheduler role; set at deploy when empty
	Input   string `json:"Input"`
}

// scheduleInput is the execution input of a scheduled run: the
// parameters' defaults, and what started it. A function, not a variable
// set at package initialisation, which every flow binary's start-up
// would pay.
func scheduleInput() string {
	b, _ := json.Marshal(map[string]any{"Parameters": map[string]string{}, "Trigger": trigger.Schedule()})
	return string(b)
}

// maxScheduleName is EventBridge Scheduler's limit on schedule names.
const maxScheduleName = 64

func (c *compiler) schedule(machine string) (*Schedule, error) {
	sc := c.f.Schedule
	if sc == nil {
		return nil, nil
	}
	expr, err := schedule.EventBridge(sc.Cron)
	if err != nil {
		return nil, &Error{Limit: "schedule", Problem: err.Error(), Fix: schedule.Fix}
	}
	tz := sc.Timezone
	if tz == "" {
		tz = "UTC"
	}
	arn := ""
	if acct := c.account(); acct != "" && c.s.Region != "" {
		arn = fmt.Sprintf("arn:%s:states:%s:%s:stateMachine:%s", c.part, c.s.Region, acct, machine)
	}
	return &Schedule{
		Name:                       shorten(machine, maxScheduleName),
		Description:                fmt.Sprintf("Stepflow schedule of flow %s", c.f.Name),
		ScheduleExpression:         "cron(" + expr + ")",
		ScheduleExpressionTimezone: tz,
		FlexibleTimeWindow:         FlexibleTimeWindow{Mode: "OFF"},
		State:                      "ENABLED",
		Target:                     ScheduleTarget{Arn: arn, RoleArn: c.s.SchedulerRole, Input: scheduleInput()},
	}, nil
}

func (c *compiler) account() string { return c.s.account() }
