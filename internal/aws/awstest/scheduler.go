// The EventBridge Scheduler service of the fake: schedules of the default
// group.

package awstest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/scheduler"
)

// Schedule returns a schedule of the default group, or nil.
func (f *Fake) Schedule(name string) *scheduler.GetScheduleOutput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.schedules["default/"+name]
}

func schedKey(in *restArgs) string {
	g := in.query.Get("groupName")
	if g == "" {
		g = "default"
	}
	return g + "/" + in.name
}

func (f *Fake) getSchedule(in any, rest *restArgs) (any, error) {
	s, ok := f.schedules[schedKey(rest)]
	if !ok {
		return nil, errf(404, "ResourceNotFoundException", "Schedule %s does not exist.", rest.name)
	}
	return scheduleJSON(s), nil
}

func scheduleJSON(s *scheduler.GetScheduleOutput) m {
	t := m{"Arn": str(s.Target.Arn), "RoleArn": str(s.Target.RoleArn)}
	if s.Target.Input != nil {
		t["Input"] = *s.Target.Input
	}
	if d := s.Target.DeadLetterConfig; d != nil {
		t["DeadLetterConfig"] = m{"Arn": str(d.Arn)}
	}
	out := m{"Arn": str(s.Arn), "Name": str(s.Name), "GroupName": str(s.GroupName), "ScheduleExpression": str(s.ScheduleExpression),
		"State": string(s.State), "FlexibleTimeWindow": m{"Mode": string(s.FlexibleTimeWindow.Mode)}, "Target": t}
	if s.ScheduleExpressionTimezone != nil {
		out["ScheduleExpressionTimezone"] = *s.ScheduleExpressionTimezone
	}
	if s.Description != nil {
		out["Description"] = *s.Description
	}
	return out
}

func (f *Fake) putSchedule(rest *restArgs, expr, tz, desc *string, state string, fw any, target any, create bool) (any, error) {
	key := schedKey(rest)
	_, exists := f.schedules[key]
	switch {
	case create && exists:
		return nil, errf(409, "ConflictException", "Schedule %s already exists.", rest.name)
	case !create && !exists:
		return nil, errf(404, "ResourceNotFoundException", "Schedule %s does not exist.", rest.name)
	}
	if str(expr) == "" || fw == nil || target == nil {
		return nil, errf(400, "ValidationException", "ScheduleExpression, FlexibleTimeWindow and Target are required")
	}
	s := &scheduler.GetScheduleOutput{}
	data, _ := json.Marshal(m{"ScheduleExpression": expr, "ScheduleExpressionTimezone": tz, "Description": desc, "State": state, "FlexibleTimeWindow": fw, "Target": target})
	if err := json.Unmarshal(data, s); err != nil {
		return nil, err
	}
	group, _, _ := strings.Cut(key, "/")
	arn := fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/%s/%s", Region, Account, group, rest.name)
	s.Arn, s.Name, s.GroupName = &arn, &rest.name, &group
	if s.State == "" {
		s.State = "ENABLED"
	}
	if s.Target == nil || str(s.Target.Arn) == "" || str(s.Target.RoleArn) == "" {
		return nil, errf(400, "ValidationException", "Target.Arn and Target.RoleArn are required")
	}
	f.schedules[key] = s
	return m{"ScheduleArn": arn}, nil
}

func (f *Fake) createSchedule(in any, rest *restArgs) (any, error) {
	r := in.(*scheduler.CreateScheduleInput)
	return f.putSchedule(rest, r.ScheduleExpression, r.ScheduleExpressionTimezone, r.Description, string(r.State), r.FlexibleTimeWindow, r.Target, true)
}

func (f *Fake) updateSchedule(in any, rest *restArgs) (any, error) {
	r := in.(*scheduler.UpdateScheduleInput)
	return f.putSchedule(rest, r.ScheduleExpression, r.ScheduleExpressionTimezone, r.Description, string(r.State), r.FlexibleTimeWindow, r.Target, false)
}

func (f *Fake) deleteSchedule(in any, rest *restArgs) (any, error) {
	key := schedKey(rest)
	if _, ok := f.schedules[key]; !ok {
		return nil, errf(404, "ResourceNotFoundException", "Schedule %s does not exist.", rest.name)
	}
	delete(f.schedules, key)
	return m{}, nil
}
