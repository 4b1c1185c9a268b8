package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stepflow/stepflow/internal/aws/awstest"
)

// The IAM coverage test, command side: every AWS call the step-functions
// commands make (recorded by awstest.Fake and, for S3, by a recorder in
// front of gofakes3) is an authorization the user's policy of docs/iam.md
// §1 grants for that command; and what the calls make the Step Functions
// role do (run the deployed definition, redrive a Map Run's child
// executions) is granted by the template's role plus the statements create
// prints for per-step queues.

const (
	iamUserSFNRole   = "arn:aws:iam::123456789012:role/stepflow-sfn"
	iamUserJobRole   = "arn:aws:iam::123456789012:role/stepflow-job"
	iamUserSchedRole = "arn:aws:iam::123456789012:role/stepflow-scheduler"
	iamUserLogGroup  = "arn:aws:logs:us-east-1:123456789012:log-group:stepflow-sfn:*"
	// iamImage is a flow image pushed before (the fake serves no
	// registry): create deploys it as it is.
	iamImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/stepflow-flows@sha256:5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"
)

// s3Recorder records the S3 requests it passes on.
type s3Recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []call
}

// ServeHTTP maps a path-style S3 request to the action AWS authorizes it
// as, records it and passes the request on.
func (s *s3Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	obj := map[string]string{"BucketName": bucket, "ObjectName": key}
	var req call
	switch {
	case key == "" && r.Method == http.MethodGet:
		req = call{action: "s3:ListBucket", ids: map[string]string{"BucketName": bucket}, context: map[string]string{"s3:prefix": q.Get("prefix")}}
	case key == "":
		req = call{action: "s3:unknown bucket operation " + r.Method + " " + r.URL.RawQuery}
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		req = call{action: "s3:GetObject", ids: obj}
	case r.Method == http.MethodPut || r.Method == http.MethodPost:
		req = call{action: "s3:PutObject", ids: obj} // also the multipart calls
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		req = call{action: "s3:AbortMultipartUpload", ids: obj}
	default:
		req = call{action: "s3:DeleteObject", ids: obj}
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	s.next.ServeHTTP(w, r)
}

func (s *s3Recorder) take() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reqs
	s.reqs = nil
	return r
}

// userNeeds derives the calls one request to the fake is authorized as,
// and, through sfnRole, the calls the request makes the Step Functions
// role make.
func userNeeds(f *awstest.Fake, r awstest.Request, add, sfnRole func(call)) {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	ids := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	// machineOf and execOf take the names out of ARNs the commands send.
	machineOf := func(arn string) map[string]string {
		_, name, _ := strings.Cut(arn, ":stateMachine:")
		return ids("StateMachineName", name)
	}
	execOf := func(arn string) map[string]string {
		_, rest, _ := strings.Cut(arn, ":execution:")
		i := strings.LastIndexByte(rest, ':')
		return ids("StateMachineName", rest[:i], "ExecutionId", rest[i+1:])
	}
	passRole := func(role string) {
		if _, name, ok := strings.Cut(role, ":role/"); ok {
			add(call{action: "iam:PassRole", ids: ids("RoleNameWithPath", name)})
		}
	}
	logDelivery := func(name string) {
		if m := f.Machine(name); m != nil && m.Logging != nil && len(m.Logging.Destinations) > 0 {
			for _, a := range []string{"CreateLogDelivery", "GetLogDelivery", "UpdateLogDelivery", "DeleteLogDelivery", "ListLogDeliveries", "PutResourcePolicy", "DescribeResourcePolicies", "DescribeLogGroups"} {
				add(call{action: "logs:" + a})
			}
		}
	}
	// runs makes the Step Functions role run the machine's definition.
	runs := func(execArn string, redrive bool) {
		name := execOf(execArn)["StateMachineName"]
		m := f.Machine(name)
		if m == nil {
			return
		}
		var def map[string]any
		if err := json.Unmarshal([]byte(m.Definition), &def); err != nil {
			add(call{action: "unreadable definition of " + name})
			return
		}
		needs(name, def["States"].(map[string]any), func(c call) {
			if c.action == "states:RedriveExecution" && !redrive {
				return // only a redrive of the parent redrives a Map Run's children
			}
			sfnRole(c)
		})
	}
	switch in := r.Input.(type) {
	case *sfn.ListStateMachinesInput:
		add(call{action: "states:ListStateMachines"})
	case *sfn.DescribeStateMachineInput:
		add(call{action: "states:DescribeStateMachine", ids: machineOf(s(in.StateMachineArn))})
	case *sfn.ListTagsForResourceInput:
		add(call{action: "states:ListTagsForResource", ids: machineOf(s(in.ResourceArn))})
	case *sfn.CreateStateMachineInput:
		add(call{action: "states:CreateStateMachine", ids: ids("StateMachineName", s(in.Name))})
		if len(in.Tags) > 0 {
			add(call{action: "states:TagResource", ids: ids("StateMachineName", s(in.Name))})
		}
		passRole(s(in.RoleArn))
		logDelivery(s(in.Name))
	case *sfn.UpdateStateMachineInput:
		add(call{action: "states:UpdateStateMachine", ids: machineOf(s(in.StateMachineArn))})
		passRole(s(in.RoleArn))
		logDelivery(machineOf(s(in.StateMachineArn))["StateMachineName"])
	case *sfn.TagResourceInput:
		add(call{action: "states:TagResource", ids: machineOf(s(in.ResourceArn))})
	case *sfn.UntagResourceInput:
		add(call{action: "states:UntagResource", ids: machineOf(s(in.ResourceArn))})
	case *sfn.StartExecutionInput:
		add(call{action: "states:StartExecution", ids: machineOf(s(in.StateMachineArn))})
		runs(strings.Replace(s(in.StateMachineArn), ":stateMachine:", ":execution:", 1)+":"+s(in.Name), false)
	case *sfn.ListExecutionsInput:
		add(call{action: "states:ListExecutions", ids: machineOf(s(in.StateMachineArn))})
	case *sfn.DescribeExecutionInput:
		add(call{action: "states:DescribeExecution", ids: execOf(s(in.ExecutionArn))})
	case *sfn.GetExecutionHistoryInput:
		add(call{action: "states:GetExecutionHistory", ids: execOf(s(in.ExecutionArn))})
	case *sfn.StopExecutionInput:
		add(call{action: "states:StopExecution", ids: execOf(s(in.ExecutionArn))})
	case *sfn.RedriveExecutionInput:
		add(call{action: "states:RedriveExecution", ids: execOf(s(in.ExecutionArn))})
		runs(s(in.ExecutionArn), true)
	case *sfn.DeleteStateMachineInput:
		add(call{action: "states:DeleteStateMachine", ids: machineOf(s(in.StateMachineArn))})
	case *batch.DescribeJobDefinitionsInput:
		add(call{action: "batch:DescribeJobDefinitions"})
	case *batch.DescribeJobQueuesInput:
		add(call{action: "batch:DescribeJobQueues"})
	case *batch.DescribeComputeEnvironmentsInput:
		add(call{action: "batch:DescribeComputeEnvironments"})
	case *batch.DescribeJobsInput:
		add(call{action: "batch:DescribeJobs"})
	case *batch.SubmitJobInput:
		add(call{action: "batch:SubmitJob", ids: ids("JobQueueName", s(in.JobQueue), "JobDefinitionName", s(in.JobDefinition), "Revision", "1")})
		if len(in.Tags) > 0 {
			add(call{action: "batch:TagResource", ids: ids("JobDefinitionName", s(in.JobDefinition), "Revision", "1")})
		}
	case *batch.TerminateJobInput:
		add(call{action: "batch:TerminateJob", ids: ids("JobId", s(in.JobId))})
	case *batch.RegisterJobDefinitionInput:
		jd := ids("JobDefinitionName", s(in.JobDefinitionName), "Revision", "1")
		add(call{action: "batch:RegisterJobDefinition", ids: jd})
		if len(in.Tags) > 0 {
			add(call{action: "batch:TagResource", ids: jd})
		}
		if c := in.ContainerProperties; c != nil {
			passRole(s(c.JobRoleArn))
			passRole(s(c.ExecutionRoleArn))
		}
	case *scheduler.GetScheduleInput:
		add(call{action: "scheduler:GetSchedule", ids: ids("GroupName", "default", "ScheduleName", s(in.Name))})
	case *scheduler.CreateScheduleInput:
		add(call{action: "scheduler:CreateSchedule", ids: ids("GroupName", "default", "ScheduleName", s(in.Name))})
		if in.Target != nil {
			passRole(s(in.Target.RoleArn))
		}
	case *scheduler.UpdateScheduleInput:
		add(call{action: "scheduler:UpdateSchedule", ids: ids("GroupName", "default", "ScheduleName", s(in.Name))})
		if in.Target != nil {
			passRole(s(in.Target.RoleArn))
		}
	case *scheduler.DeleteScheduleInput:
		add(call{action: "scheduler:DeleteSchedule", ids: ids("GroupName", "default", "ScheduleName", s(in.Name))})
	case *eventbridge.ListRulesInput:
		add(call{action: "events:ListRules"})
	case *eventbridge.PutRuleInput:
		add(call{action: "events:PutRule", ids: ids("RuleName", s(in.Name))})
	case *eventbridge.ListTargetsByRuleInput:
		add(call{action: "events:ListTargetsByRule", ids: ids("RuleName", s(in.Rule))})
	case *eventbridge.PutTargetsInput:
		add(call{action: "events:PutTargets", ids: ids("RuleName", s(in.Rule))})
		for _, t := range in.Targets {
			passRole(s(t.RoleArn))
		}
	case *eventbridge.RemoveTargetsInput:
		add(call{action: "events:RemoveTargets", ids: ids("RuleName", s(in.Rule))})
	case *eventbridge.DeleteRuleInput:
		add(call{action: "events:DeleteRule", ids: ids("RuleName", s(in.Name))})
	case *eventbridge.PutEventsInput:
		add(call{action: "events:PutEvents", ids: ids("EventBusName", "default")})
	case *cloudwatchlogs.GetLogEventsInput:
		add(call{action: "logs:GetLogEvents", ids: ids("LogGroupName", s(in.LogGroupName), "LogStreamName", s(in.LogStreamName))})
	default:
		add(call{action: fmt.Sprintf("%s:%s (no IAM mapping in this test: add one)", r.Service, r.Op)})
	}
}

// commandPolicies reads the table of docs/iam.md §1: the statements each
// command needs, keyed by the command's row name ("create", "trigger", ...;
// "" for "every command below"). Resource descriptions in prose are read
// with the phrases below; an unknown one fails the test.
func commandPolicies(t *testing.T, flowName string) map[string][]any {
	t.Helper()
	data, err := os.ReadFile("../../../docs/iam.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := string(data)
	start, end := strings.Index(sec, "## 1."), strings.Index(sec, "## 2.")
	if start < 0 || end < start {
		t.Fatal("docs/iam.md has no sections 1 and 2")
	}
	ph := strings.NewReplacer("<region>", awstest.Region, "<account>", awstest.Account, "<prefix>", "",
		"<bucket>", "bucket", "<datastore prefix>", "root", "<Flow>", flowName, "<repository>", "stepflow-flows", "<queue>", "stepflow-queue")
	prose := map[string][]string{
		"the state machine": {"arn:aws:states:<region>:<account>:stateMachine:<prefix>*"},
		"the executions":    {"arn:aws:states:<region>:<account>:execution:<prefix>*:*"},
		"the datastore":     {"arn:aws:s3:::<bucket>", "arn:aws:s3:::<bucket>/<datastore prefix>/*"},
		"the schedule":      {"arn:aws:scheduler:<region>:<account>:schedule/default/<prefix>*"},
		"the repository of a base image in ECR (--base-image, a step's image)": {"arn:aws:ecr:<region>:<account>:repository/base"},
		"the Step Functions role, the Batch job role, the ECS execution role, the Scheduler role, and each role a step sets (`stepflow.Batch{JobRole, ExecutionRole}`)": {
			iamUserSFNRole, iamUserJobRole, iamUserSchedRole,
			"arn:aws:iam::123456789012:role/stepflow-task", "arn:aws:iam::123456789012:role/stepflow-ecs"},
	}
	prose["the Batch job role, the ECS execution role, and each role a step sets (`stepflow.Batch{JobRole, ExecutionRole}`)"] = []string{
		iamUserJobRole, "arn:aws:iam::123456789012:role/stepflow-task", "arn:aws:iam::123456789012:role/stepflow-ecs"}
	code := regexp.MustCompile("`([^`]+)`")
	out := map[string][]any{}
	cmd := ""
	for _, line := range strings.Split(sec[start:end], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 5 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "command" {
			continue
		}
		if c := strings.TrimSpace(cells[1]); c == "every command below" {
			cmd = ""
		} else if c != "" {
			cmd = strings.Trim(c, "`")
			if i := strings.Index(c, "` ("); i > 0 { // a row name with a note: `run --with batch` (and ...)
				cmd = strings.Trim(c[:i], "`")
			}
		}
		var actions []any
		for _, m := range code.FindAllStringSubmatch(cells[2], -1) {
			actions = append(actions, m[1])
		}
		rc := strings.TrimSpace(cells[3])
		var resources []any
		if rs, ok := prose[rc]; ok {
			for _, r := range rs {
				resources = append(resources, ph.Replace(r))
			}
		} else if ms := code.FindAllStringSubmatch(rc, -1); len(ms) > 0 {
			for _, m := range ms {
				resources = append(resources, ph.Replace(m[1]))
			}
		} else if len(actions) > 0 {
			t.Fatalf("docs/iam.md §1, %s: resources %q: the test cannot read them (add the phrase to commandPolicies)", cmd, rc)
		}
		if len(actions) > 0 {
			out[cmd] = append(out[cmd], map[string]any{"Effect": "Allow", "Action": actions, "Resource": resources})
		}
	}
	return out
}

// iamWorld runs the flow binaries' step-functions commands against a fresh
// fake and a recorded gofakes3.
type iamWorld struct {
	f   *awstest.Fake
	s3  *s3Recorder
	env []string
	dir string
}

func newIAMWorld(t *testing.T) *iamWorld {
	t.Helper()
	f := awstest.New()
	f.AddQueue("stepflow-queue", "EC2", "FARGATE")
	f.AddQueue("stepflow-ec2", "EC2")
	t.Cleanup(f.Close)
	backend := s3mem.New()
	if err := backend.CreateBucket("bucket"); err != nil {
		t.Fatal(err)
	}
	rec := &s3Recorder{next: gofakes3.New(backend).Server()}
	s3 := httptest.NewServer(rec)
	t.Cleanup(s3.Close)
	dir := t.TempDir()
	settings, err := os.ReadFile("../../../examples/params/settings.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "settings.toml"), settings, 0o644); err != nil {
		t.Fatal(err)
	}
	// fileflow's file parameter: its default file, and one trigger gives.
	for name, data := range map[string]string{"data.csv": "a,b\n1,2\n", "other.csv": "a,b\n3,4\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + dir, "USER=alice", "TZ=UTC",
		"AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=SECRET", "AWS_EC2_METADATA_DISABLED=true",
		"STEPFLOW_REGION=" + awstest.Region,
		"STEPFLOW_SFN_ENDPOINT=" + f.URL, "STEPFLOW_BATCH_ENDPOINT=" + f.URL,
		"STEPFLOW_SCHEDULER_ENDPOINT=" + f.URL, "STEPFLOW_LOGS_ENDPOINT=" + f.URL, "STEPFLOW_EVENTS_ENDPOINT=" + f.URL,
		// Any client without its own endpoint fails here, on loopback, never on AWS.
		"AWS_ENDPOINT_URL=http://127.0.0.1:9",
		"STEPFLOW_S3_ENDPOINT=" + s3.URL, "STEPFLOW_DATASTORE_ROOT=s3://bucket/root",
		"STEPFLOW_BATCH_QUEUE=stepflow-queue", "STEPFLOW_BATCH_IMAGE=" + iamImage, "STEPFLOW_IMAGE_REPOSITORY=123456789012.dkr.ecr.us-east-1.amazonaws.com/stepflow-flows",
		"STEPFLOW_BATCH_JOB_ROLE=" + iamUserJobRole, "STEPFLOW_SFN_ROLE=" + iamUserSFNRole,
		"STEPFLOW_SCHEDULER_ROLE=" + iamUserSchedRole, "STEPFLOW_DYNAMODB_TABLE=stepflow-bookkeeping",
		"STEPFLOW_SFN_LOG_GROUP_ARN=" + iamUserLogGroup,
	}
	return &iamWorld{f: f, s3: rec, env: env, dir: dir}
}

// run runs a flow binary and returns its stdout and the authorizations its
// calls needed.
func (w *iamWorld) run(t *testing.T, prog string, args ...string) (string, []awstest.Request, []call) {
	t.Helper()
	w.f.Reset()
	w.s3.take()
	cmd := exec.Command(filepath.Join(binDir, prog), args...)
	cmd.Env, cmd.Dir = w.env, w.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, io.MultiWriter(&stderr)
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", prog, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), w.f.Requests(), w.s3.take()
}

func TestIAMCoversCommands(t *testing.T) {
	sfnRole := templatePolicies(t)["StepFunctionsRole"]
	w := newIAMWorld(t)
	var missing []string
	seen := map[string]bool{}
	var queueStmts []any // the statements create printed for per-step queues
	stmtRE := regexp.MustCompile(`add this statement to its policy \(docs/iam.md, "Per-step queues"\): (\{.*\})`)

	check := func(prog, flowName, command string, args ...string) string {
		t.Helper()
		out, reqs, s3reqs := w.run(t, prog, append([]string{"step-functions", command}, args...)...)
		pols := commandPolicies(t, flowName)
		row := command
		if len(args) > 0 && (command == "create" && args[0] == "--log-execution-history" || command == "trigger" && args[0] == "--on-finish-of") {
			row = command + " " + args[0]
		}
		if command == "trigger" && len(args) > 0 && args[0] == "--data" { // fileflow's file parameter
			row = "trigger --NAME PATH"
		}
		user := append(append([]any{}, pols[""]...), pols[row]...)
		if row != command {
			user = append(user, pols[command]...)
		}
		for _, m := range stmtRE.FindAllStringSubmatch(out, -1) {
			var stmt map[string]any
			if err := json.Unmarshal([]byte(m[1]), &stmt); err != nil {
				t.Errorf("create printed a statement that is not JSON: %s", m[1])
			}
			queueStmts = append(queueStmts, stmt)
		}
		userReq := func(c call) {
			seen[command+" "+c.action] = true
			for _, m := range authorize(user, c, nil) {
				missing = append(missing, fmt.Sprintf("%s %s: user policy of docs/iam.md §1 lacks %s", prog, command, m))
			}
		}
		roleReq := func(c call) {
			seen["role "+c.action] = true
			for _, m := range authorize(sfnRole, c, func(r request) bool { return allows(queueStmts, r) }) {
				missing = append(missing, fmt.Sprintf("%s %s: the Step Functions role of the template (with the statements create printed) lacks %s", prog, command, m))
			}
		}
		for _, r := range reqs {
			userNeeds(w.f, r, userReq, roleReq)
		}
		for _, q := range s3reqs {
			userReq(q)
		}
		return out
	}
	execOf := func(out string) string {
		id := regexp.MustCompile(`\bsfn-([0-9a-f-]{36})\b`).FindStringSubmatch(out)
		if id == nil {
			t.Fatalf("no run id in %q", out)
		}
		return id[1]
	}

	// hello: every command.
	check("hello", "HelloFlow", "create", "--log-execution-history")
	out := check("hello", "HelloFlow", "trigger")
	run := "sfn-" + execOf(out)
	check("hello", "HelloFlow", "list-runs")
	if err := w.f.Progress(execOf(out), "start", "0", "running"); err != nil {
		t.Fatal(err)
	}
	check("hello", "HelloFlow", "status", run)
	check("hello", "HelloFlow", "logs", run+"/start/0")
	check("hello", "HelloFlow", "terminate", run)
	check("hello", "HelloFlow", "resume", run)
	check("hello", "HelloFlow", "terminate", run)
	check("hello", "HelloFlow", "delete")

	// params: a step with its own queue and roles.
	check("params", "ParamsFlow", "create", "--config", "settings=settings.toml")
	check("params", "ParamsFlow", "trigger", "--name", "ada")

	// params catches up on a succeeded HelloFlow run whose finish event
	// was lost.
	check("hello", "HelloFlow", "create")
	out = check("hello", "HelloFlow", "trigger")
	if err := w.f.Finish(execOf(out), "SUCCEEDED", 0); err != nil {
		t.Fatal(err)
	}
	check("params", "ParamsFlow", "trigger", "--on-finish-of", "HelloFlow/sfn-"+execOf(out))

	// fileflow: create uploads the file parameter's default file, trigger
	// --data another.
	check("fileflow", "FileFlow", "create")
	check("fileflow", "FileFlow", "trigger", "--data", "other.csv")

	// foreach as a DISTRIBUTED Map: a redrive redrives its child executions.
	check("foreach", "ForeachFlow", "create", "--distributed-map")
	out = check("foreach", "ForeachFlow", "trigger")
	if err := w.f.Finish(execOf(out), "FAILED", 0); err != nil {
		t.Fatal(err)
	}
	check("foreach", "ForeachFlow", "resume", "sfn-"+execOf(out))

	// The test proves something only if these were derived.
	for _, k := range []string{
		"create batch:TagResource", "create iam:PassRole", "create logs:CreateLogDelivery", "create s3:PutObject", "trigger s3:PutObject",
		"status s3:ListBucket", "logs logs:GetLogEvents", "trigger states:ListExecutions", "resume states:RedriveExecution", "delete states:DeleteStateMachine",
		"role batch:TagResource", "role batch:SubmitJob", "role states:RedriveExecution", "role states:StartExecution",
	} {
		if !seen[k] {
			t.Errorf("no call needed %s: the test does not exercise it", k)
		}
	}
	sort.Strings(missing)
	for _, m := range slicesCompact(missing) {
		t.Error(m)
	}
}
