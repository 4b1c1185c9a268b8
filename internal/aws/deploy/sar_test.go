package deploy_test

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The resources AWS authorizes each action on, transcribed from the
// Service Authorization Reference (the "Actions" table of each service's
// page, and its "Resource types" table for the ARN formats), for the
// actions Stepflow's commands, state machines, tasks and image pulls make.
// The IAM coverage tests build the ARNs a call is authorized on from this
// table, never from the shape of our own requests: a policy passes only if
// it grants the action on every resource type AWS checks.
//
// In each action's list, a type ending in "*" is required (AWS always
// checks it: batch:SubmitJob on both the job definition and the job
// queue); the others are checked when the call names such a resource
// (batch:TagResource on the resource being tagged). No types: the action
// is authorized on "*" only.

// sarService is one service's transcription.
type sarService struct {
	url       string            // the Service Authorization Reference page
	resources map[string]string // resource type -> ARN format
	actions   map[string][]string
}

var sar = map[string]sarService{
	"batch": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbatch.html",
		resources: map[string]string{
			"compute-environment": "arn:${Partition}:batch:${Region}:${Account}:compute-environment/${ComputeEnvironmentName}",
			"job-queue":           "arn:${Partition}:batch:${Region}:${Account}:job-queue/${JobQueueName}",
			"job-definition":      "arn:${Partition}:batch:${Region}:${Account}:job-definition/${JobDefinitionName}:${Revision}",
			"job":                 "arn:${Partition}:batch:${Region}:${Account}:job/${JobId}",
		},
		actions: map[string][]string{
			"DescribeComputeEnvironments": nil,
			"DescribeJobDefinitions":      nil,
			"DescribeJobQueues":           nil,
			"DescribeJobs":                nil,
			"RegisterJobDefinition":       {"job-definition*"},
			"SubmitJob":                   {"job-definition*", "job-queue*"},
			// The API operations table maps SubmitJob and
			// RegisterJobDefinition with tags to batch:TagResource too;
			// which resource it is checked on for SubmitJob is not
			// documented (the job does not exist yet; the one public
			// AccessDenied names the job definition), so a call names
			// both and the policy must allow both.
			"TagResource":  {"compute-environment", "job", "job-definition", "job-queue"},
			"TerminateJob": {"job*"},
		},
	},
	"states": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html",
		resources: map[string]string{
			"statemachine": "arn:${Partition}:states:${Region}:${Account}:stateMachine:${StateMachineName}",
			"execution":    "arn:${Partition}:states:${Region}:${Account}:execution:${StateMachineName}:${ExecutionId}",
		},
		actions: map[string][]string{
			"ListStateMachines":    nil,
			"CreateStateMachine":   {"statemachine*"},
			"DescribeStateMachine": {"statemachine*"},
			"UpdateStateMachine":   {"statemachine*"},
			"DeleteStateMachine":   {"statemachine*"},
			"ListTagsForResource":  {"statemachine", "execution"},
			"TagResource":          {"statemachine", "execution"},
			"UntagResource":        {"statemachine", "execution"},
			"StartExecution":       {"statemachine*"},
			"ListExecutions":       {"statemachine*"},
			"DescribeExecution":    {"execution*"},
			"GetExecutionHistory":  {"execution*"},
			"StopExecution":        {"execution*"},
			"RedriveExecution":     {"execution*"},
		},
	},
	"scheduler": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridgescheduler.html",
		resources: map[string]string{
			"schedule": "arn:${Partition}:scheduler:${Region}:${Account}:schedule/${GroupName}/${ScheduleName}",
		},
		actions: map[string][]string{
			"GetSchedule": {"schedule*"}, "CreateSchedule": {"schedule*"}, "UpdateSchedule": {"schedule*"}, "DeleteSchedule": {"schedule*"},
		},
	},
	"events": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html",
		resources: map[string]string{
			"rule-on-default-event-bus": "arn:${Partition}:events:${Region}:${Account}:rule/${RuleName}",
			"event-bus":                 "arn:${Partition}:events:${Region}:${Account}:event-bus/${EventBusName}",
		},
		actions: map[string][]string{
			"ListRules":         nil,
			"DescribeRule":      {"rule-on-default-event-bus"},
			"PutRule":           {"rule-on-default-event-bus"},
			"DeleteRule":        {"rule-on-default-event-bus"},
			"ListTargetsByRule": {"rule-on-default-event-bus"},
			"PutTargets":        {"rule-on-default-event-bus"},
			"RemoveTargets":     {"rule-on-default-event-bus"},
			"PutEvents":         {"event-bus*"},
		},
	},
	"logs": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html",
		resources: map[string]string{
			"log-stream": "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}",
		},
		actions: map[string][]string{
			"GetLogEvents":      {"log-stream*"},
			"CreateLogDelivery": nil, "GetLogDelivery": nil, "UpdateLogDelivery": nil, "DeleteLogDelivery": nil,
			"ListLogDeliveries": nil, "PutResourcePolicy": nil, "DescribeResourcePolicies": nil, "DescribeLogGroups": nil,
		},
	},
	"s3": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html",
		resources: map[string]string{
			"bucket": "arn:${Partition}:s3:::${BucketName}",
			"object": "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
		},
		actions: map[string][]string{
			"GetObject": {"object*"}, "PutObject": {"object*"}, "AbortMultipartUpload": {"object*"}, "DeleteObject": {"object*"},
			"ListBucket": {"bucket*"},
		},
	},
	"dynamodb": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html",
		resources: map[string]string{
			"table": "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}",
		},
		actions: map[string][]string{"GetItem": {"table*"}, "PutItem": {"table*"}},
	},
	"iam": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html",
		resources: map[string]string{
			"role": "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
		},
		actions: map[string][]string{"PassRole": {"role*"}},
	},
	"ecr": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html",
		resources: map[string]string{
			"repository": "arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}",
		},
		actions: map[string][]string{
			"GetAuthorizationToken":       nil,
			"BatchCheckLayerAvailability": {"repository*"},
			"BatchGetImage":               {"repository*"},
			"GetDownloadUrlForLayer":      {"repository*"},
			"InitiateLayerUpload":         {"repository*"},
			"UploadLayerPart":             {"repository*"},
			"CompleteLayerUpload":         {"repository*"},
			"PutImage":                    {"repository*"},
		},
	},
	"secretsmanager": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html",
		resources: map[string]string{
			"Secret": "arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}",
		},
		actions: map[string][]string{"GetSecretValue": {"Secret*"}},
	},
	"ssm": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html",
		resources: map[string]string{
			"parameter": "arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}",
		},
		actions: map[string][]string{"GetParameter": {"parameter*"}},
	},
	"sqs": {
		url: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html",
		resources: map[string]string{
			"queue": "arn:${Partition}:sqs:${Region}:${Account}:${QueueName}",
		},
		actions: map[string][]string{"SendMessage": {"queue*"}},
	},
}

// call is one action a command, state machine or task makes, with what
// it names: the variables of the ARN formats of the resource types it
// touches (JobQueueName, StateMachineName, ...), and its condition keys.
type call struct {
	action  string
	ids     map[string]string
	context map[string]string
}

func (c call) String() string {
	keys := make([]string, 0, len(c.ids))
	for k := range c.ids {
		keys = append(keys, k+"="+c.ids[k])
	}
	sort.Strings(keys)
	return c.action + " (" + strings.Join(keys, " ") + ")"
}

var sarVar = regexp.MustCompile(`\$\{(\w+)\}`)

// authorizations are the requests AWS authorizes call as, by the table:
// the action on each resource type the call names (every required one
// must be named), or on "*" for an action without resource types. An
// action missing from the table, or a required resource the call does not
// name, is an error: the table or the test is to be completed.
func authorizations(c call, partition, region, account string) ([]request, error) {
	svc, op, _ := strings.Cut(c.action, ":")
	s, ok := sar[svc]
	if !ok {
		return nil, fmt.Errorf("%s: service %s is not transcribed from the Service Authorization Reference", c, svc)
	}
	types, ok := s.actions[op]
	if !ok {
		return nil, fmt.Errorf("%s: the action is not transcribed from %s", c, s.url)
	}
	if len(types) == 0 {
		return []request{{action: c.action, resource: "*", context: c.context}}, nil
	}
	vars := map[string]string{"Partition": partition, "Region": region, "Account": account}
	for k, v := range c.ids {
		vars[k] = v
	}
	var out []request
	for _, t := range types {
		name, required := strings.CutSuffix(t, "*")
		format, ok := s.resources[name]
		if !ok {
			return nil, fmt.Errorf("%s: resource type %s has no ARN format in the table", c, name)
		}
		var missing []string
		arn := sarVar.ReplaceAllStringFunc(format, func(m string) string {
			v, ok := vars[m[2:len(m)-1]]
			if !ok {
				missing = append(missing, m[2:len(m)-1])
			}
			return v
		})
		switch {
		case len(missing) == 0:
			out = append(out, request{action: c.action, resource: arn, context: c.context})
		case required:
			return nil, fmt.Errorf("%s: AWS authorizes it on %s (%s), but the call names no %s", c, name, format, strings.Join(missing, ", "))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: names none of the resource types AWS authorizes it on (%s)", c, strings.Join(types, ", "))
	}
	return out, nil
}
