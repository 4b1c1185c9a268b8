package awstest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// Rule is an EventBridge rule of the default event bus and its targets.
type Rule struct {
	Name, Arn, EventPattern, State, Description string
	Targets                                     []ebtypes.Target // in the order put
}

// PublishedEvent is an entry PutEvents accepted.
type PublishedEvent struct {
	ID                              string
	Source, DetailType, Detail, Bus string
	Resources                       []string
}

// ruleNameRE is EventBridge's rule name constraint.
var ruleNameRE = regexp.MustCompile(`^[.\-_A-Za-z0-9]{1,64}$`)

// Rule returns a copy of the rule named name, or nil.
func (f *Fake) Rule(name string) *Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.rules[name]
	if !ok {
		return nil
	}
	c := *r
	c.Targets = append([]ebtypes.Target(nil), r.Targets...)
	return &c
}

// Rules returns the names of the rules, sorted.
func (f *Fake) Rules() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.rules {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Published returns the events PutEvents accepted, in order.
func (f *Fake) Published() []PublishedEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]PublishedEvent(nil), f.published...)
}

func defaultBus(name *string) error {
	if n := str(name); n != "" && n != "default" && !strings.HasSuffix(n, ":event-bus/default") {
		return errf(400, "ResourceNotFoundException", "Event bus %s does not exist.", n)
	}
	return nil
}

func ruleJSON(r *Rule) m {
	out := m{"Name": r.Name, "Arn": r.Arn, "State": r.State, "EventBusName": "default"}
	if r.EventPattern != "" {
		out["EventPattern"] = r.EventPattern
	}
	if r.Description != "" {
		out["Description"] = r.Description
	}
	return out
}

func (f *Fake) rule(name *string) (*Rule, error) {
	r, ok := f.rules[str(name)]
	if !ok {
		return nil, errf(400, "ResourceNotFoundException", "Rule %s does not exist on EventBus default.", str(name))
	}
	return r, nil
}

// listRules answers one rule per page, to exercise paging.
func (f *Fake) listRules(in any, _ *restArgs) (any, error) {
	req := in.(*eventbridge.ListRulesInput)
	if err := defaultBus(req.EventBusName); err != nil {
		return nil, err
	}
	var names []string
	for n := range f.rules {
		if strings.HasPrefix(n, str(req.NamePrefix)) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	start := 0
	if t := str(req.NextToken); t != "" {
		start, _ = strconv.Atoi(t)
	}
	start = min(start, len(names))
	end := min(start+1, len(names))
	rules := []m{}
	for _, n := range names[start:end] {
		rules = append(rules, ruleJSON(f.rules[n]))
	}
	out := m{"Rules": rules}
	if end < len(names) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}

func (f *Fake) describeRule(in any, _ *restArgs) (any, error) {
	req := in.(*eventbridge.DescribeRuleInput)
	if err := defaultBus(req.EventBusName); err != nil {
		return nil, err
	}
	r, err := f.rule(req.Name)
	if err != nil {
		return nil, err
	}
	return ruleJSON(r), nil
}

func (f *Fake) putRule(in any, _ *restArgs) (any, error) {
	req := in.(*eventbridge.PutRuleInput)
	if err := defaultBus(req.EventBusName); err != nil {
		return nil, err
	}
	name := str(req.Name)
	if !ruleNameRE.MatchString(name) {
		return nil, errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint", name)
	}
	if req.EventPattern == nil && req.ScheduleExpression == nil {
		return nil, errf(400, "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if p := str(req.EventPattern); p != "" {
		var v map[string]any
		if err := json.Unmarshal([]byte(p), &v); err != nil {
			return nil, errf(400, "InvalidEventPatternException", "Event pattern is not valid. Reason: %v", err)
		}
	}
	state := string(req.State)
	if state == "" {
		state = "ENABLED"
	}
	r, ok := f.rules[name]
	if !ok {
		r = &Rule{Name: name, Arn: fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", Region, Account, name)}
		f.rules[name] = r
	}
	r.EventPattern, r.State, r.Description = str(req.EventPattern), state, str(req.Description)
	return m{"RuleArn": r.Arn}, nil
}

func (f *Fake) deleteRule(in any, _ *restArgs) (any, error) {
	req := in.(*eventbridge.DeleteRuleInput)
	if err := defaultBus(req.EventBusName); err != nil {
		return nil, err
	}
	r, ok := f.rules[str(req.Name)]
	if !ok {
		return m{}, nil // AWS answers success for a rule that does not exist
	}
	if len(r.Targets) > 0 {
		return nil, errf(400, "ValidationException", "Rule can't be deleted since it has targets.")
	}
	delete(f.rules, r.Name)
	return m{}, nil
}

func (f *Fake) listTargetsByRule(in any, _ *restArgs) (any, error) {
	req := in.(*eventbridge.ListTargetsByRuleInput)
	if err := defaultBus(req.EventBusName); err != nil {
		return nil, err
	}
	r, err := f.rule(req.Rule)
	if err != nil {
		return nil, err
	}
	targets := []m{}
	for _, t := range r.Targets {
		x := m{"Id": str(t.Id), "Arn": str(t.Arn)}
		if t.RoleArn != nil {
			x["RoleArn"] = *t.RoleArn
		}
		if t.Input != nil {
			x["Input"] = *t.Input
		}
		if t.InputPath != nil {
			x["InputPath"] = *t.InputPath
		}
		if it := t.InputTransformer; it != nil {
			x["InputTransformer"] = m{"InputPathsMap": it.InputPathsMap, "InputTemplate": str(it.InputTemplate)}
		}
		if d := t.DeadLetterConfig; d != nil {
			x["DeadLetterConfig"] = m{"Arn": str(d.Arn)}
		}
		targets = append(targets, x)
	}
	return m{"Targets": targets}, nil
}

func (f *Fake) putTargets(in any, _ *restArgs) (any, error) {
	req := in.(*eventbridge.PutTargetsInput)
	if err := defaultBus(req.EventBusName); err != nil {
		return nil, err
	}
	r, err := f.rule(req.Rule)
	if err != nil {
		return nil, err
	}
	if len(req.Targets) == 0 || len(req.Targets) > 10 {
		return nil, errf(400, "ValidationException", "Targets must have between 1 and 10 members")
	}
	for _, t := range req.Targets {
		if str(t.Id) == "" || str(t.Arn) == "" {
			return nil, errf(400, "ValidationException", "Target Id and Arn are required")
		}
		if strings.Contains(str(t.Arn), ":states:") && str(t.RoleArn) == "" {
			return nil, errf(400, "ValidationException", "RoleArn is required for target %s.", str(t.Id))
		}
		if it := t.InputTransformer; it != nil {
			if str(it.InputTemplate) == "" {
				return nil, errf(400, "ValidationException", "InputTemplate is required")
			}
			if len(it.InputPathsMap) > 100 {
				return nil, errf(400, "ValidationException", "InputPathsMap has more than 100 entries")
			}
			for k, p := range it.InputPathsMap {
				if !strings.HasPrefix(p, "$") || k == "aws.events.event" {
					return nil, errf(400, "ValidationException", "InputPathsMap entry %s: %q is not a valid JsonPath", k, p)
				}
			}
		}
		replaced := false
		for i := range r.Targets {
			if str(r.Targets[i].Id) == str(t.Id) {
				r.Targets[i], replaced = t, true
			}
		}
		if !replaced {
			if len(r.Targets) >= 5 {
				return nil, errf(400, "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
			}
			r.Targets = append(r.Targets, t)
		}
	}
	return m{"FailedEntryCount": 0, "FailedEntries": []m{}}, nil
}

func (f *Fake) removeTargets(in any, _ *restArgs) (any, error) {
	req := in.(*eventbridge.RemoveTargetsInput)
	if err := defaultBus(req.EventBusName); err != nil {
		return nil, err
	}
	r, err := f.rule(req.Rule)
	if err != nil {
		return nil, err
	}
	var keep []ebtypes.Target
	for _, t := range r.Targets {
		drop := false
		for _, id := range req.Ids {
			drop = drop || id == str(t.Id)
		}
		if !drop {
			keep = append(keep, t)
		}
	}
	r.Targets = keep
	return m{"FailedEntryCount": 0, "FailedEntries": []m{}}, nil
}

func (f *Fake) putEvents(in any, _ *restArgs) (any, error) {
	req := in.(*eventbridge.PutEventsInput)
	if len(req.Entries) == 0 || len(req.Entries) > 10 {
		return nil, errf(400, "ValidationException", "Entries must have between 1 and 10 members")
	}
	var entries []m
	for _, e := range req.Entries {
		var detail map[string]any
		switch {
		case str(e.Source) == "" || str(e.DetailType) == "" || e.Detail == nil:
			entries = append(entries, m{"ErrorCode": "MalformedDetail", "ErrorMessage": "Source, DetailType and Detail are required"})
			continue
		case json.Unmarshal([]byte(*e.Detail), &detail) != nil:
			entries = append(entries, m{"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."})
			continue
		case strings.HasPrefix(str(e.Source), "aws."):
			entries = append(entries, m{"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."})
			continue
		}
		f.seq++
		id := fmt.Sprintf("00000000-0000-4000-9000-%012d", f.seq)
		bus := str(e.EventBusName)
		if bus == "" {
			bus = "default"
		}
		f.published = append(f.published, PublishedEvent{ID: id, Source: str(e.Source), DetailType: str(e.DetailType), Detail: *e.Detail, Bus: bus, Resources: e.Resources})
		entries = append(entries, m{"EventId": id})
	}
	failed := 0
	for _, e := range entries {
		if e["ErrorCode"] != nil {
			failed++
		}
	}
	return m{"FailedEntryCount": failed, "Entries": entries}, nil
}
