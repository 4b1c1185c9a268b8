package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/stepflow/stepflow/internal/aws/deploy"
)

// The IAM coverage test: the permissions the compiled examples need from
// the Step Functions role (every Task resource, Map mode, queue, table) are
// granted by the policy of deploy/cloudformation/stepflow.yaml, which
// docs/iam.md shows verbatim.

const (
	iamAccount = "123456789012"
	iamRegion  = "us-east-1"
)

// cfnValue converts a YAML node of the template, with its short-form
// intrinsic functions (!Sub, !Ref, !GetAtt, !If), to JSON-like values.
func cfnValue(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return cfnValue(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i < len(n.Content); i += 2 {
			m[n.Content[i].Value] = cfnValue(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, cfnValue(c))
		}
		v = l
	default:
		v = n.Value
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return map[string]any{"Fn::" + n.Tag[1:]: v}
	}
	return v
}

func parseYAML(t *testing.T, data []byte) any {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		t.Fatal(err)
	}
	return cfnValue(&n)
}

// templatePolicies returns the statements of the inline policies of each
// IAM role of the template.
func templatePolicies(t *testing.T) map[string][]any {
	t.Helper()
	data, err := os.ReadFile("../../../deploy/cloudformation/stepflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]any{}
	for name, r := range parseYAML(t, data).(map[string]any)["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] != "AWS::IAM::Role" {
			continue
		}
		props := res["Properties"].(map[string]any)
		ps, _ := props["Policies"].([]any)
		for _, p := range ps {
			out[name] = append(out[name], p.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)...)
		}
	}
	return out
}

// docs/iam.md shows each role's statements as the template has them.
func TestIAMDocMatchesTemplate(t *testing.T) {
	data, err := os.ReadFile("../../../docs/iam.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)<!-- policy: (\\w+) -->\n```yaml\n(.*?)```").FindAllSubmatch(data, -1)
	tmpl := templatePolicies(t)
	seen := map[string]bool{}
	for _, b := range blocks {
		role := string(b[1])
		seen[role] = true
		if got, want := parseYAML(t, b[2]), any(tmpl[role]); !reflect.DeepEqual(got, want) {
			t.Errorf("docs/iam.md, policy of %s, differs from the template's:\n doc:      %v\n template: %v", role, got, want)
		}
	}
	for role := range tmpl {
		if !seen[role] {
			t.Errorf("docs/iam.md does not show the policy of %s", role)
		}
	}
}

// request is one authorization AWS makes: an action on a resource, with
// the request's condition keys.
type request struct {
	action, resource string
	context          map[string]string
}

func (r request) String() string {
	s := r.action + " on " + r.resource
	if len(r.context) > 0 {
		s += fmt.Sprint(" with ", r.context)
	}
	return s
}

// resolve evaluates the intrinsic functions of a policy value with the
// stack's default parameters in account iamAccount.
func resolve(v any) []string {
	vars := map[string]string{
		"AWS::Partition": "aws", "AWS::Region": iamRegion, "AWS::AccountId": iamAccount,
		"DatastoreBucket.Arn": "arn:aws:s3:::stepflow-bucket", "DatastorePrefix": "stepflow", "Prefix": "stepflow",
		"BookkeepingTable.Arn": "arn:aws:dynamodb:" + iamRegion + ":" + iamAccount + ":table/stepflow-bookkeeping",
		"JobQueue":             "arn:aws:batch:" + iamRegion + ":" + iamAccount + ":job-queue/stepflow-queue",
		"DeadLetterQueue.Arn":  "arn:aws:sqs:" + iamRegion + ":" + iamAccount + ":stepflow-dead-letters",
		"ImageRepository.Arn":  "arn:aws:ecr:" + iamRegion + ":" + iamAccount + ":repository/stepflow-flows",
	}
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, resolve(e)...)
		}
		return out
	case map[string]any:
		for fn, arg := range x {
			switch fn {
			case "Fn::Sub":
				return []string{regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(arg.(string), func(m string) string {
					if v, ok := vars[m[2:len(m)-1]]; ok {
						return v
					}
					return m
				})}
			case "Fn::Ref", "Fn::GetAtt":
				if v, ok := vars[arg.(string)]; ok {
					return []string{v}
				}
			}
		}
	}
	panic(fmt.Sprintf("cannot resolve %v", v))
}

// match is IAM's wildcard match: * any run of characters, ? one.
func match(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// allows reports whether the Allow statements grant r (no Deny in these
// policies; the condition operators they use: StringEquals, StringLike,
// ArnLike).
func allows(stmts []any, r request) bool {
	for _, s := range stmts {
		st := s.(map[string]any)
		if st["Effect"] != "Allow" {
			continue
		}
		okAction, okResource := false, false
		for _, a := range resolve(st["Action"]) {
			okAction = okAction || strings.EqualFold(a, r.action) || match(a, r.action)
		}
		for _, res := range resolve(st["Resource"]) {
			okResource = okResource || match(res, r.resource)
		}
		if !okAction || !okResource {
			continue
		}
		okCond := true
		if c, ok := st["Condition"].(map[string]any); ok {
			for op, kv := range c {
				for k, want := range kv.(map[string]any) {
					got, present := r.context[k]
					any := false
					for _, w := range resolve(want) {
						any = any || (op == "StringEquals" && got == w) || ((op == "StringLike" || op == "ArnLike") && match(w, got))
					}
					okCond = okCond && present && any
				}
			}
		}
		if okCond {
			return true
		}
	}
	return false
}

// needs derives the calls the Step Functions role makes to run a compiled
// definition of state machine machine.
func needs(machine string, states map[string]any, add func(call)) {
	for _, v := range states {
		st := v.(map[string]any)
		switch st["Type"] {
		case "Task":
			res := st["Resource"].(string)
			p, _ := st["Parameters"].(map[string]any)
			switch {
			case strings.HasSuffix(res, ":batch:submitJob.sync"):
				queue := p["JobQueue"].(string)
				if _, name, ok := strings.Cut(queue, ":job-queue/"); ok {
					queue = name // a step's own queue, by ARN
				}
				jd := map[string]string{"JobDefinitionName": p["JobDefinition"].(string), "Revision": "1"}
				add(call{action: "batch:SubmitJob", ids: map[string]string{"JobQueueName": queue, "JobDefinitionName": jd["JobDefinitionName"], "Revision": "1"}})
				if p["Tags"] != nil {
					// Tag-on-create: the job (its id is AWS's) and the
					// job definition (the sar table says why both).
					add(call{action: "batch:TagResource", ids: map[string]string{"JobId": "0123-abcd", "JobDefinitionName": jd["JobDefinitionName"], "Revision": "1"}})
				}
				add(call{action: "batch:DescribeJobs"})
				add(call{action: "batch:TerminateJob", ids: map[string]string{"JobId": "0123-abcd"}})
				for _, a := range []string{"events:PutTargets", "events:PutRule", "events:DescribeRule"} {
					add(call{action: a, ids: map[string]string{"RuleName": "StepFunctionsGetEventsForBatchJobsRule"}})
				}
			case strings.HasSuffix(res, ":dynamodb:getItem"):
				add(call{action: "dynamodb:GetItem", ids: map[string]string{"TableName": p["TableName"].(string)}})
			case strings.HasSuffix(res, ":dynamodb:putItem"):
				add(call{action: "dynamodb:PutItem", ids: map[string]string{"TableName": p["TableName"].(string)}})
			default:
				add(call{action: "unknown Task resource " + res})
			}
		case "Parallel":
			for _, b := range st["Branches"].([]any) {
				needs(machine, b.(map[string]any)["States"].(map[string]any), add)
			}
		case "Map":
			proc := st["ItemProcessor"].(map[string]any)
			if proc["ProcessorConfig"].(map[string]any)["Mode"] == "DISTRIBUTED" {
				label := "Map" // a Map Run's child executions: <machine>/<label>:<id>
				add(call{action: "states:StartExecution", ids: map[string]string{"StateMachineName": machine}})
				for _, a := range []string{"states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"} {
					add(call{action: a, ids: map[string]string{"StateMachineName": machine + "/" + label, "ExecutionId": "0123-abcd"}})
				}
			}
			needs(machine, proc["States"].(map[string]any), add)
		}
	}
}

// authorize checks that the statements grant every authorization of c
// (sar_test.go), and reports each one they do not; fallback, when set,
// may grant one the statements do not.
func authorize(stmts []any, c call, fallback func(request) bool) (missing []string) {
	reqs, err := authorizations(c, "aws", iamRegion, iamAccount)
	if err != nil {
		return []string{err.Error()}
	}
	for _, r := range reqs {
		if !allows(stmts, r) && (fallback == nil || !fallback(r)) {
			missing = append(missing, r.String())
		}
	}
	return missing
}

func TestIAMCoversCompiledExamples(t *testing.T) {
	sfnRole := templatePolicies(t)["StepFunctionsRole"]
	golden, err := filepath.Glob("../statemachine/testdata/golden/*/state-machine.json")
	if err != nil || len(golden) < 5 {
		t.Fatalf("golden definitions: %v, %v", golden, err)
	}
	var missing []string
	distributed, tagged := false, false
	for _, file := range golden {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var def map[string]any
		if err := json.Unmarshal(data, &def); err != nil {
			t.Fatal(err)
		}
		example := path.Base(path.Dir(filepath.ToSlash(file)))
		needs("Example", def["States"].(map[string]any), func(c call) {
			distributed = distributed || c.action == "states:RedriveExecution"
			tagged = tagged || c.action == "batch:TagResource"
			// A step's own queue: create prints the statement to add
			// (docs/iam.md, "Per-step queues"); with it, it is allowed.
			printed := func(r request) bool {
				if r.action != "batch:SubmitJob" || !strings.Contains(r.resource, ":job-queue/") {
					return false
				}
				var stmt map[string]any
				if err := json.Unmarshal([]byte(deploy.QueueStatement(r.resource)), &stmt); err == nil && allows([]any{stmt}, r) {
					t.Logf("%s: %s needs the statement create prints", example, r)
					return true
				}
				return false
			}
			for _, m := range authorize(sfnRole, c, printed) {
				missing = append(missing, example+": "+m)
			}
		})
	}
	if !distributed || !tagged {
		t.Errorf("the examples exercise no DISTRIBUTED Map (%v) or no tagged job (%v): the test proves nothing", distributed, tagged)
	}
	sort.Strings(missing)
	for _, m := range slicesCompact(missing) {
		t.Errorf("the Step Functions role of the template does not allow %s", m)
	}
}

func slicesCompact(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
