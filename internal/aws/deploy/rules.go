package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/trigger"
)

// TargetID is the id of the one target of a trigger's rule: the state
// machine.
const TargetID = "stepflow-state-machine"

// maxRuleName is EventBridge's limit on a rule's name.
const maxRuleName = 64

// RulePrefix is what the names of the rules of state machine machine
// start with: the machine's name (shortened to fit) and a dot, which no
// state machine name has, so the rules of "A" are not those of "A-b".
func RulePrefix(machine string) string {
	const room = maxRuleName - 1 - 8 // the dot and the trigger's hash
	if len(machine) > room {
		sum := sha256.Sum256([]byte(machine))
		machine = machine[:room-13] + "-" + hex.EncodeToString(sum[:])[:12]
	}
	return machine + "."
}

// RuleName is the name of the rule of trigger t of state machine machine:
// RulePrefix and 8 hex digits of what the trigger listens to (not of its
// mappings), so that a changed mapping updates the rule in place.
func RuleName(machine string, t *flow.Trigger) string {
	key := fmt.Sprintf("%d\x00%s\x00%s\x00%s\x00%s", t.Kind, t.Event, t.Flow, t.Project, t.Branch)
	if t.NoProject {
		key += "\x00no project" // the names of the other rules stay as they were
	}
	sum := sha256.Sum256([]byte(key))
	return RulePrefix(machine) + hex.EncodeToString(sum[:])[:8]
}

// UpstreamMachine is the name of the state machine whose finish trigger t
// of flow f listens to, deployed with settings s: the upstream flow in
// the trigger's project (default: f's; none with NoProject) and branch
// (default: s's), under the same name prefix.
func UpstreamMachine(f *flow.Flow, t *flow.Trigger, s statemachine.Settings) string {
	project, branch := t.UpstreamProject(f), t.Branch
	if branch == "" {
		branch = s.Branch
	}
	return statemachine.MachineName(&flow.Flow{Name: t.Flow, Project: project}, statemachine.Settings{Branch: branch, NamePrefix: s.NamePrefix})
}

// Rules returns the rule of each trigger of flow f, and of its exit hook
// when it has one, by rule name, for
// the state machine machineArn deployed with settings s; upstream state
// machines are in its account and region.
func Rules(f *flow.Flow, s statemachine.Settings, machineArn string) (names []string, rules map[string]trigger.Rule, err error) {
	machine := machineArn[strings.LastIndexByte(machineArn, ':')+1:]
	base := machineArn[:strings.LastIndexByte(machineArn, ':')+1] // arn:aws:states:<region>:<account>:stateMachine:
	upstream := func(t *flow.Trigger) string { return base + UpstreamMachine(f, t, s) }
	rules = map[string]trigger.Rule{}
	for _, t := range f.Triggers {
		r, err := trigger.Build(f, t, upstream)
		if err != nil {
			return nil, nil, err
		}
		name := RuleName(machine, t)
		names = append(names, name)
		rules[name] = r
	}
	if f.OnFinish != nil {
		name := HookRuleName(machine)
		names = append(names, name)
		rules[name] = trigger.HookRule(machineArn)
	}
	return names, rules, nil
}

// HookRuleName is the name of the rule of the exit hook of state machine
// machine (trigger.HookRule): RulePrefix and "hook", never 8 hex digits
// as a trigger's.
func HookRuleName(machine string) string { return RulePrefix(machine) + "hook" }

// putRules makes the EventBridge rules of state machine machineArn those
// of the flow's triggers: it creates the missing ones, updates those that
// differ (pattern, description, state, target) and deletes those of
// triggers the flow no longer has. It writes nothing when all are as
// wanted, and prints one line per rule.
func putRules(ctx context.Context, c *Clients, f *flow.Flow, s statemachine.Settings, machineArn, role string, out io.Writer) error {
	machine := machineArn[strings.LastIndexByte(machineArn, ':')+1:]
	names, want, err := Rules(f, s, machineArn)
	if err != nil {
		return err
	}
	have, err := listRules(ctx, c, RulePrefix(machine))
	if err != nil {
		return err
	}
	for _, name := range names {
		r := want[name]
		desc := fmt.Sprintf("Stepflow: starts %s %s", machine, r.Summary)
		if len(desc) > 512 {
			desc = desc[:512]
		}
		var did []string
		old, exists := have[name]
		if !exists || !samePattern(aws.ToString(old.EventPattern), r.Pattern) || aws.ToString(old.Description) != desc || old.State != ebtypes.RuleStateEnabled {
			if _, err := c.Events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(r.Pattern),
				Description: aws.String(desc), State: ebtypes.RuleStateEnabled}); err != nil {
				return awsErr("put rule "+name, err)
			}
			did = append(did, "rule")
		}
		target := ebtypes.Target{Id: aws.String(TargetID), Arn: aws.String(machineArn), RoleArn: aws.String(role),
			InputTransformer: &ebtypes.InputTransformer{InputPathsMap: r.InputPathsMap, InputTemplate: aws.String(r.InputTemplate)}}
		if s.DeadLetterQueue != "" {
			target.DeadLetterConfig = &ebtypes.DeadLetterConfig{Arn: aws.String(s.DeadLetterQueue)}
		}
		var targets []ebtypes.Target
		if exists {
			if targets, err = listTargets(ctx, c, name); err != nil {
				return err
			}
		}
		var ours *ebtypes.Target
		var others []string
		for i, t := range targets {
			if aws.ToString(t.Id) == TargetID {
				ours = &targets[i]
			} else {
				others = append(others, aws.ToString(t.Id))
			}
		}
		if ours == nil || !sameTarget(*ours, target) {
			if err := putTarget(ctx, c, name, target); err != nil {
				return err
			}
			did = append(did, "target")
		}
		if len(others) > 0 {
			if err := removeTargets(ctx, c, name, others); err != nil {
				return err
			}
			did = append(did, "other targets removed")
		}
		state := "unchanged"
		switch {
		case !exists:
			state = "created"
		case len(did) > 0:
			state = "updated (" + strings.Join(did, ", ") + ")"
		}
		fmt.Fprintf(out, "event rule %s: %s (%s)\n", name, state, r.Summary)
	}
	for _, name := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[name]; ok {
			continue
		}
		if err := deleteRule(ctx, c, name); err != nil {
			return err
		}
		fmt.Fprintf(out, "event rule %s: deleted (the flow no longer has its trigger)\n", name)
	}
	return nil
}

// samePattern compares two event patterns as JSON values.
func samePattern(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return reflect.DeepEqual(x, y)
}

func sameTarget(a, b ebtypes.Target) bool {
	if aws.ToString(a.Arn) != aws.ToString(b.Arn) || aws.ToString(a.RoleArn) != aws.ToString(b.RoleArn) ||
		a.Input != nil || a.InputPath != nil || a.InputTransformer == nil {
		return false
	}
	dlq := func(t ebtypes.Target) string {
		if t.DeadLetterConfig == nil {
			return ""
		}
		return aws.ToString(t.DeadLetterConfig.Arn)
	}
	if dlq(a) != dlq(b) {
		return false
	}
	ta, tb := a.InputTransformer, b.InputTransformer
	return aws.ToString(ta.InputTemplate) == aws.ToString(tb.InputTemplate) && reflect.DeepEqual(ta.InputPathsMap, tb.InputPathsMap)
}

// listRules returns the rules of the default event bus whose names start
// with prefix, by name.
func listRules(ctx context.Context, c *Clients, prefix string) (map[string]ebtypes.Rule, error) {
	out := map[string]ebtypes.Rule{}
	in := &eventbridge.ListRulesInput{NamePrefix: aws.String(prefix)}
	for {
		page, err := c.Events.ListRules(ctx, in)
		if err != nil {
			return nil, awsErr("list the event rules "+prefix+"*", err)
		}
		for _, r := range page.Rules {
			if name := aws.ToString(r.Name); strings.HasPrefix(name, prefix) {
				out[name] = r
			}
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// listTargets returns the targets of rule name.
func listTargets(ctx context.Context, c *Clients, name string) ([]ebtypes.Target, error) {
	var out []ebtypes.Target
	in := &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)}
	for {
		page, err := c.Events.ListTargetsByRule(ctx, in)
		if errCode(err) == "ResourceNotFoundException" {
			return out, nil
		}
		if err != nil {
			return nil, awsErr("list the targets of event rule "+name, err)
		}
		out = append(out, page.Targets...)
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

func putTarget(ctx context.Context, c *Clients, rule string, t ebtypes.Target) error {
	res, err := c.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), Targets: []ebtypes.Target{t}})
	if err != nil {
		return awsErr("put the target of event rule "+rule, err)
	}
	if res.FailedEntryCount > 0 && len(res.FailedEntries) > 0 {
		e := res.FailedEntries[0]
		return awsErr("put the target of event rule "+rule, &smithy.GenericAPIError{Code: aws.ToString(e.ErrorCode), Message: aws.ToString(e.ErrorMessage)})
	}
	return nil
}

func removeTargets(ctx context.Context, c *Clients, rule string, ids []string) error {
	res, err := c.Events.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(rule), Ids: ids})
	if errCode(err) == "ResourceNotFoundException" {
		return nil
	}
	if err != nil {
		return awsErr("remove the targets of event rule "+rule, err)
	}
	if res.FailedEntryCount > 0 && len(res.FailedEntries) > 0 {
		e := res.FailedEntries[0]
		return awsErr("remove the targets of event rule "+rule, &smithy.GenericAPIError{Code: aws.ToString(e.ErrorCode), Message: aws.ToString(e.ErrorMessage)})
	}
	return nil
}

// deleteRule removes rule name's targets, then the rule (EventBridge
// refuses to delete a rule that has targets).
func deleteRule(ctx context.Context, c *Clients, name string) error {
	targets, err := listTargets(ctx, c, name)
	if err != nil {
		return err
	}
	var ids []string
	for _, t := range targets {
		ids = append(ids, aws.ToString(t.Id))
	}
	if len(ids) > 0 {
		if err := removeTargets(ctx, c, name, ids); err != nil {
			return err
		}
	}
	if _, err := c.Events.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name)}); err != nil && errCode(err) != "ResourceNotFoundException" {
		return awsErr("delete event rule "+name, err)
	}
	return nil
}

// deleteRules deletes every rule of state machine machine and returns
// one line per rule deleted.
func deleteRules(ctx context.Context, c *Clients, machine string) ([]string, error) {
	rules, err := listRules(ctx, c, RulePrefix(machine))
	if err != nil {
		return nil, err
	}
	var did []string
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		if err := deleteRule(ctx, c, name); err != nil {
			return did, err
		}
		did = append(did, "event rule "+name+": deleted")
	}
	return did, nil
}
