package statemachine

import (
	"fmt"
	"strconv"
	"strings"
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

// maxScheduleName is EventBridge Scheduler's limit on schedule names.
const maxScheduleName = 64

func (c *compiler) schedule(machine string) (*Schedule, error) {
	sc := c.f.Schedule
	if sc == nil {
		return nil, nil
	}
	expr, err := AWSCron(sc.Cron)
	if err != nil {
		return nil, &Error{Limit: "schedule", Problem: err.Error(), Fix: `write five cron fields, e.g. "0 3 * * *"; give day-of-month or day-of-week, not both`}
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
		Target:                     ScheduleTarget{Arn: arn, RoleArn: c.s.SchedulerRole, Input: `{"Parameters":{}}`},
	}, nil
}

func (c *compiler) account() string { return c.s.account() }

// AWSCron converts a five-field cron expression (minute hour day-of-month
// month day-of-week, days of the week 0-7 with 0 and 7 Sunday) to the
// six-field form of EventBridge (days of the week 1-7 with 1 Sunday, one of
// the two day fields "?", a year field). A six-field expression is taken
// to be in EventBridge form already.
func AWSCron(expr string) (string, error) {
	f := strings.Fields(expr)
	if len(f) == 6 {
		return expr, nil
	}
	if len(f) != 5 {
		return "", fmt.Errorf("schedule %q does not have five fields", expr)
	}
	dom, dow := f[2], f[4]
	switch {
	case dow == "*" || dow == "?":
		dow = "?"
	case dom == "*" || dom == "?":
		dom = "?"
		var err error
		if dow, err = convertDOW(dow); err != nil {
			return "", fmt.Errorf("schedule %q: %v", expr, err)
		}
	default:
		return "", fmt.Errorf("schedule %q restricts both the day of the month and the day of the week, which EventBridge cannot express", expr)
	}
	return strings.Join([]string{f[0], f[1], dom, f[3], dow, "*"}, " "), nil
}

// convertDOW maps numeric days of the week from cron (0-7, Sunday 0 or 7)
// to EventBridge (1-7, Sunday 1) in lists, ranges and steps.
func convertDOW(s string) (string, error) {
	var out []string
	for _, item := range strings.Split(s, ",") {
		base, step, hasStep := strings.Cut(item, "/")
		var conv []string
		for _, part := range strings.Split(base, "-") {
			if n, err := strconv.Atoi(part); err == nil {
				if n < 0 || n > 7 {
					return "", fmt.Errorf("day of the week %d is out of range 0-7", n)
				}
				part = strconv.Itoa(n%7 + 1)
			}
			conv = append(conv, part)
		}
		if len(conv) == 2 && conv[0] != "*" {
			a, errA := strconv.Atoi(conv[0])
			b, errB := strconv.Atoi(conv[1])
			if errA == nil && errB == nil && a > b { // e.g. 5-0 (Fri-Sun) became 6-1
				return "", fmt.Errorf("day-of-week range %s wraps around Sunday; list the days instead", base)
			}
		}
		r := strings.Join(conv, "-")
		if hasStep {
			r += "/" + step
		}
		out = append(out, r)
	}
	return strings.Join(out, ","), nil
}
