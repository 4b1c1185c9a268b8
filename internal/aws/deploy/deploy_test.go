package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/awstest"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/usage"
)

type testFlow struct {
	Name  string
	Items []int
	Item  int
}

func (f *testFlow) step(c *stepflow.Context) error { return nil }

func testGraph(t *testing.T, scheduled bool) *graph.Graph {
	t.Helper()
	b := stepflow.New[testFlow]("TestFlow").
		Param("name", "world", "who").
		Step("start", (*testFlow).step, stepflow.Next("end")).
		Step("end", (*testFlow).step)
	if scheduled {
		b = b.Schedule("0 3 * * *", "Europe/Paris")
	}
	g, err := graph.New(flow.MustDefinitionOf(b))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// testImage is the flow image the tests deploy.
const testImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/stepflow@sha256:2222222222222222222222222222222222222222222222222222222222222222"

func settings(f *awstest.Fake) statemachine.Settings {
	return statemachine.Settings{
		Region: awstest.Region, Queue: "queue", Image: testImage, JobRole: "arn:aws:iam::123456789012:role/job",
		SFNRole: "arn:aws:iam::123456789012:role/sfn", SchedulerRole: "arn:aws:iam::123456789012:role/scheduler",
		DatastoreRoot: "s3://bucket/root", LogGroupARN: "arn:aws:logs:us-east-1:123456789012:log-group:sfn",
		SFNEndpoint: f.URL, BatchEndpoint: f.URL, SchedulerEndpoint: f.URL, EventsEndpoint: f.URL, LogsEndpoint: f.URL,
	}
}

type env struct {
	f    *awstest.Fake
	c    *deploy.Clients
	opts deploy.Options
	out  *bytes.Buffer
}

func setup(t *testing.T, scheduled bool) *env {
	t.Helper()
	f := awstest.New()
	f.AddQueue("queue", "EC2")
	t.Cleanup(f.Close)
	s := settings(f)
	c, err := deploy.NewClients(context.Background(), s, deploy.ClientOptions{
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		MaxBackoff:  5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := &bytes.Buffer{}
	return &env{f: f, c: c, out: out, opts: deploy.Options{
		Graph: testGraph(t, scheduled), Settings: s, Store: store, User: "alice", TokenDir: t.TempDir(), Out: out,
	}}
}

// ops operates the deployment e.opts names, as the step-functions
// commands do.
func (e *env) ops() *deploy.Ops {
	f, s := e.opts.Graph.Flow, e.opts.Settings
	return &deploy.Ops{C: e.c, Machine: statemachine.MachineName(f, s), Flow: f.Name, Scope: statemachine.MachineScope(f, s), Prog: "testflow"}
}

func (e *env) create(t *testing.T) error {
	t.Helper()
	e.out.Reset()
	e.f.Reset()
	return deploy.Create(context.Background(), e.c, e.opts)
}

func TestCreateIsIdempotent(t *testing.T) {
	e := setup(t, true)
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	want := []string{"batch registerjobdefinition", "sfn CreateStateMachine", "scheduler CreateSchedule"}
	if got := e.f.Writes(); !slices.Equal(got, want) {
		t.Errorf("first deploy wrote %q, want %q", got, want)
	}
	for _, line := range []string{"state machine TestFlow: created", "schedule TestFlow: created (cron(0 3 * * ? *) Europe/Paris)", "(minted)"} {
		if !strings.Contains(e.out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, e.out)
		}
	}
	m := e.f.Machine("TestFlow")
	if m.Tags[deploy.TagOwner] != "alice" || m.Tags[deploy.TagFlow] != "TestFlow" || m.Tags[deploy.TagToken] == "" {
		t.Errorf("tags %v", m.Tags)
	}
	for _, name := range e.f.JobDefinitions() {
		if in := e.f.JobDefinitionInput(name); *in.ContainerProperties.Image != testImage || strings.Join(in.ContainerProperties.Command, " ") != "step" {
			t.Errorf("job definition %s runs %v in %s, want step in the flow image", name, in.ContainerProperties.Command, *in.ContainerProperties.Image)
		}
	}
	sc := e.f.Schedule("TestFlow")
	if *sc.Target.Arn != m.Arn || *sc.Target.RoleArn != e.opts.Settings.SchedulerRole {
		t.Errorf("schedule target %+v", sc.Target)
	}

	// Unchanged: reads only.
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if w := e.f.Writes(); len(w) > 0 {
		t.Errorf("second deploy of an unchanged flow wrote %q", w)
	}
	for _, line := range []string{": unchanged\n", "state machine TestFlow: unchanged", "schedule TestFlow: unchanged", "(unchanged)"} {
		if !strings.Contains(e.out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, e.out)
		}
	}

	// Logging on: the state machine is updated, nothing else.
	e.opts.LogExecutionHistory = true
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if got := e.f.Writes(); !slices.Equal(got, []string{"sfn UpdateStateMachine"}) {
		t.Errorf("logging change wrote %q", got)
	}
	for _, r := range e.f.Requests() {
		if in, ok := r.Input.(*sfnsdk.UpdateStateMachineInput); ok {
			l := in.LoggingConfiguration
			if l.Level != "ALL" || !l.IncludeExecutionData || *l.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn != e.opts.Settings.LogGroupARN+":*" {
				t.Errorf("logging %+v", l)
			}
		}
	}

	// The flow loses its schedule: the schedule is deleted.
	e.opts.Graph = testGraph(t, false)
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if got := e.f.Writes(); !slices.Equal(got, []string{"scheduler DeleteSchedule"}) {
		t.Errorf("unscheduled flow wrote %q", got)
	}
	if e.f.Schedule("TestFlow") != nil {
		t.Error("schedule not deleted")
	}
}

func TestCreateReportsEveryMissingSetting(t *testing.T) {
	e := setup(t, true)
	e.opts.Settings.Queue, e.opts.Settings.SFNRole, e.opts.Settings.SchedulerRole, e.opts.Settings.LogGroupARN = "", "", "", ""
	e.opts.LogExecutionHistory = true
	err := e.create(t)
	var me *statemachine.MissingError
	if !errors.As(err, &me) {
		t.Fatalf("got %v, want a MissingError", err)
	}
	for _, s := range []string{"queue", "sfn-role", "scheduler-role", "log-group-arn", "STEPFLOW_SFN_ROLE", "cannot be deployed"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message lacks %q:\n%v", s, err)
		}
	}
	if n := len(e.f.Requests()); n > 0 {
		t.Errorf("%d requests sent before the settings were complete", n)
	}
}

func TestAWSErrors(t *testing.T) {
	e := setup(t, false)

	// Throttling is retried with backoff.
	e.f.Fail("ListStateMachines", "ThrottlingException", 2)
	if err := e.create(t); err != nil {
		t.Fatalf("throttled twice then accepted: %v", err)
	}
	if n := e.f.Count("ListStateMachines"); n != 3 {
		t.Errorf("ListStateMachines sent %d times, want 3 (two throttled, retried)", n)
	}

	// Access denied is not retried, and names the fix.
	e.f.Fail("ListTagsForResource", "AccessDeniedException", 1)
	err := e.create(t)
	if !usage.Is(err) || !strings.Contains(err.Error(), "docs/iam.md") {
		t.Errorf("access denied: got %v", err)
	}
	if n := e.f.Count("ListTagsForResource"); n != 1 {
		t.Errorf("access denied retried: %d requests", n)
	}

	// A state machine being deleted.
	e.f.SetMachineStatus("TestFlow", "DELETING")
	if err := e.create(t); !usage.Is(err) || !strings.Contains(err.Error(), "being deleted") {
		t.Errorf("deleting: got %v", err)
	}
}

func TestCreateRaces(t *testing.T) {
	e := setup(t, false)
	// Another deploy creates the state machine between the lookup and the
	// create: StateMachineAlreadyExists, then an update of the other's.
	e.f.Before = func(op string) {
		if op == "CreateStateMachine" && e.f.Machine("TestFlow") == nil {
			e.f.AddMachine("TestFlow", `{"StartAt":"x","States":{"x":{"Type":"Succeed"}}}`, "arn:aws:iam::123456789012:role/sfn",
				map[string]string{deploy.TagFlow: "TestFlow", deploy.TagOwner: "alice", deploy.TagToken: "t"})
		}
	}
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.out.String(), "state machine TestFlow: updated (definition, tags)") {
		t.Errorf("output:\n%s", e.out)
	}
	if got := e.f.Writes(); !slices.Equal(got, []string{"batch registerjobdefinition", "sfn CreateStateMachine", "sfn UpdateStateMachine", "sfn TagResource"}) {
		t.Errorf("writes %q", got)
	}
	// Deleted meanwhile: StateMachineDeleting from the create.
	e2 := setup(t, false)
	e2.f.Fail("CreateStateMachine", "StateMachineDeleting", 1)
	if err := e2.create(t); !usage.Is(err) || !strings.Contains(err.Error(), "being deleted") {
		t.Errorf("deleting: %v", err)
	}
}

func TestProductionTokens(t *testing.T) {
	e := setup(t, false)
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	tok := e.f.Machine("TestFlow").Tags[deploy.TagToken]
	if !strings.HasPrefix(tok, "testflow-") {
		t.Errorf("token %q", tok)
	}
	if !strings.Contains(e.out.String(), "production token: production:"+tok+" (minted)") {
		t.Errorf("output:\n%s", e.out)
	}
	// The token reaches the tasks: the job definition's environment.
	jdEnv := func() string {
		var s []string
		for _, r := range e.f.Requests() {
			if r.Op == "registerjobdefinition" {
				data, _ := json.Marshal(r.Input)
				s = append(s, string(data))
			}
		}
		return strings.Join(s, "\n")
	}
	if !strings.Contains(jdEnv(), `"Name":"STEPFLOW_PRODUCTION_TOKEN","Value":"`+tok+`"`) {
		t.Errorf("job definition lacks the token:\n%s", jdEnv())
	}

	// Another user, no token (and none cached): refused.
	aliceDir, bobDir := e.opts.TokenDir, t.TempDir()
	e.opts.User, e.opts.TokenDir = "bob", bobDir
	err := e.create(t)
	if err == nil || !strings.Contains(err.Error(), "deployed by alice") || !strings.Contains(err.Error(), "--authorize") {
		t.Fatalf("bob without a token: %v", err)
	}
	if w := e.f.Writes(); len(w) > 0 {
		t.Errorf("refused deploy wrote %q", w)
	}
	// A wrong token: refused.
	e.opts.Authorize = "production:wrong"
	if err := e.create(t); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("bob with a wrong token: %v", err)
	}
	// The right token: allowed; bob becomes the owner, the token stays.
	e.opts.Authorize = "production:" + tok
	if err := e.create(t); err != nil {
		t.Fatalf("bob with the token: %v", err)
	}
	if m := e.f.Machine("TestFlow"); m.Tags[deploy.TagOwner] != "bob" || m.Tags[deploy.TagToken] != tok {
		t.Errorf("tags after bob's deploy: %v", m.Tags)
	}
	// Rotation: a new token, new job definitions with it.
	e.opts.Authorize, e.opts.NewToken = "", true
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	tok2 := e.f.Machine("TestFlow").Tags[deploy.TagToken]
	if tok2 == tok || !strings.Contains(e.out.String(), "(rotated)") || !strings.Contains(jdEnv(), tok2) {
		t.Errorf("rotation: %q -> %q\n%s", tok, tok2, e.out)
	}
	// alice's old token no longer works.
	e.opts.User, e.opts.NewToken, e.opts.Authorize = "alice", false, "production:"+tok
	if err := e.create(t); err == nil {
		t.Error("the old token still authorizes")
	}
	// carol has bob's token in her cache: allowed without --authorize.
	e.opts.User, e.opts.Authorize, e.opts.TokenDir = "carol", "", bobDir
	if err := e.create(t); err != nil {
		t.Errorf("cached token: %v", err)
	}
	// dave has alice's stale token in his cache: refused.
	e.opts.User, e.opts.TokenDir = "dave", aliceDir
	if err := e.create(t); err == nil {
		t.Error("a stale cached token authorizes")
	}
}

func TestOperations(t *testing.T) {
	e := setup(t, false)
	ctx := context.Background()
	ops := e.ops()
	if _, err := ops.Trigger(ctx, nil, "ada"); !usage.Is(err) || !strings.Contains(err.Error(), "not deployed") {
		t.Errorf("trigger before deploy: %v", err)
	}
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	run1, err := ops.Trigger(ctx, map[string]string{"name": "ada"}, "grace")
	if err != nil {
		t.Fatal(err)
	}
	ex := e.f.Execution(strings.TrimPrefix(run1, "sfn-"))
	if ex == nil || ex.Input != `{"Parameters":{"name":"ada"},"Trigger":{"type":"user","user":"grace"}}` {
		t.Fatalf("execution %+v", ex)
	}
	run2, _ := ops.Trigger(ctx, nil, "")
	if in := e.f.Execution(strings.TrimPrefix(run2, "sfn-")).Input; in != `{"Parameters":{},"Trigger":{"type":"user"}}` {
		t.Errorf("input without parameters or user: %s", in)
	}
	runs, err := ops.ListRuns(ctx, "", false)
	if err != nil || len(runs) != 2 || runs[0].ID != run2 || runs[0].Trigger != nil {
		t.Fatalf("list-runs: %v %+v", err, runs)
	}
	// What started each run, from its input: one DescribeExecution each.
	before := e.f.Count("DescribeExecution")
	runs, err = ops.ListRuns(ctx, "", true)
	if err != nil || len(runs) != 2 || runs[1].ID != run1 ||
		!reflect.DeepEqual(runs[1].Trigger, map[string]string{"type": "user", "user": "grace"}) ||
		!reflect.DeepEqual(runs[0].Trigger, map[string]string{"type": "user"}) {
		t.Fatalf("list-runs, started by: %v %+v", err, runs)
	}
	if n := e.f.Count("DescribeExecution") - before; n != 2 {
		t.Errorf("list-runs of 2 runs described %d", n)
	}
	e.f.Fail("DescribeExecution", "AccessDeniedException", 1)
	if _, err := ops.ListRuns(ctx, "", true); !usage.Is(err) || !strings.Contains(err.Error(), "describe run") {
		t.Errorf("list-runs denied DescribeExecution: %v", err)
	}

	// Status from the history.
	e.f.Progress(strings.TrimPrefix(run1, "sfn-"), "start", "0", "succeeded")
	e.f.Progress(strings.TrimPrefix(run1, "sfn-"), "end", "0", "running")
	st, err := ops.Status(ctx, run1, []string{"start", "end"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "RUNNING" || len(st.Steps) != 2 || st.Steps[0].Succeeded != 1 || st.Steps[1].Running != 1 {
		t.Errorf("status %+v %+v %+v", st, st.Steps[0], st.Steps[1])
	}
	if _, err := ops.Status(ctx, "sfn-nope", nil); !usage.Is(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("status of an unknown run: %v", err)
	}

	// Logs of the running job, from CloudWatch.
	job, err := ops.BatchJob(ctx, run1, "end", "0")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	if err := ops.CloudLogs(ctx, job, &logs); err != nil || logs.String() != "end 0 log line 1\nend 0 log line 2\n" {
		t.Errorf("logs %q, %v", logs.String(), err)
	}

	// The logs of a child of an array job: its task id is its index, its
	// job PARENT:INDEX.
	if err := e.f.ProgressArray(strings.TrimPrefix(run1, "sfn-"), "work", 3); err != nil {
		t.Fatal(err)
	}
	job, err = ops.BatchJob(ctx, run1, "work", "2")
	if err != nil || !strings.HasSuffix(job, ":2") {
		t.Fatalf("array child work/2: job %q, %v", job, err)
	}
	logs.Reset()
	if err := ops.CloudLogs(ctx, job, &logs); err != nil || logs.String() != "work 2 log line\n" {
		t.Errorf("logs of work/2 %q, %v", logs.String(), err)
	}
	if _, err := ops.BatchJob(ctx, run1, "work", "3"); err == nil {
		t.Error("work/3, past the array job's size, has a job")
	}
	// Its status counts the children, each a task.
	st, err = ops.Status(ctx, run1, []string{"start", "end", "work"})
	if err != nil || len(st.Steps) != 3 || st.Steps[2].Step != "work" || st.Steps[2].Started != 3 || st.Steps[2].Succeeded != 3 {
		t.Errorf("status of the array job's step: %+v %v", st.Steps[len(st.Steps)-1], err)
	}
	// A running array job's children, from DescribeJobs on it (its
	// StatusSummary), each a task: not the one running Task state.
	if err := e.f.ProgressArrayRunning(strings.TrimPrefix(run1, "sfn-"), "wide", 6, map[string]int{"RUNNABLE": 1, "RUNNING": 2, "SUCCEEDED": 2, "FAILED": 1}); err != nil {
		t.Fatal(err)
	}
	st, err = ops.Status(ctx, run1, []string{"start", "end", "work", "wide"})
	if err != nil || len(st.Steps) != 4 {
		t.Fatalf("status with a running array job: %+v %v", st, err)
	}
	if w := *st.Steps[3]; w != (deploy.StepProgress{Step: "wide", Started: 6, Succeeded: 2, Failed: 1, Running: 3}) {
		t.Errorf("status of a running array job's step: %+v", w)
	}
	if w := *st.Steps[2]; w != (deploy.StepProgress{Step: "work", Started: 3, Succeeded: 3}) {
		t.Errorf("status of an ended array job's step: %+v", w)
	}
	if w := *st.Steps[1]; w != (deploy.StepProgress{Step: "end", Started: 1, Running: 1}) {
		t.Errorf("status of a running single job's step: %+v", w)
	}

	// Delete refuses while runs are in flight.
	if _, err := ops.Delete(ctx, false, "alice", "", "", "TestFlow"); !usage.Is(err) || !strings.Contains(err.Error(), "in flight") {
		t.Errorf("delete with runs in flight: %v", err)
	}

	// Terminate; then resume (redrive).
	if _, err := ops.Terminate(ctx, run1, "alice", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Terminate(ctx, run1, "alice", "", ""); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("terminate twice: %v", err)
	}
	if err := ops.Resume(ctx, run1, "alice", "", "", awstest.Epoch.Add(time.Hour)); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if e.f.Execution(strings.TrimPrefix(run1, "sfn-")).RedriveCount != 1 {
		t.Error("not redriven")
	}
	// Too old: refused before asking AWS; AWS's own refusal is explained too.
	e.f.Finish(strings.TrimPrefix(run2, "sfn-"), "FAILED", 15*24*time.Hour)
	err = ops.Resume(ctx, run2, "alice", "", "", awstest.Epoch.Add(time.Hour))
	if !usage.Is(err) || !strings.Contains(err.Error(), "more than 14 days") || !strings.Contains(err.Error(), "resume --origin-run-id "+run2) {
		t.Errorf("resume of an old run: %v", err)
	}
	err = ops.Resume(ctx, run2, "alice", "", "", awstest.Epoch.Add(-14*24*time.Hour)) // our clock says recent: AWS refuses
	if !usage.Is(err) || !strings.Contains(err.Error(), "cannot be redriven") || e.f.Count("RedriveExecution") != 2 || !strings.Contains(err.Error(), "ended more than 14 days ago") {
		t.Errorf("AWS refuses the redrive: %v", err)
	}

	// Delete with --force.
	did, err := ops.Delete(ctx, true, "alice", "", "", "TestFlow")
	if err != nil || e.f.Machine("TestFlow") != nil {
		t.Errorf("delete --force: %v %q", err, did)
	}
	// Another user cannot delete without the token.
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Delete(ctx, true, "mallory", "", "", "TestFlow"); err == nil || !strings.Contains(err.Error(), "--authorize") {
		t.Errorf("delete by another user: %v", err)
	}
}

func TestRegisterInputKeepsEveryField(t *testing.T) {
	e := setup(t, false)
	res, err := statemachine.Compile(e.opts.Graph, e.opts.Settings)
	if err != nil {
		t.Fatal(err)
	}
	for _, jd := range res.JobDefinitions {
		in, err := deploy.RegisterInput(jd)
		if err != nil {
			t.Fatal(err)
		}
		if *in.JobDefinitionName != jd.JobDefinitionName || *in.ContainerProperties.Image != testImage || len(in.ContainerProperties.Command) != len(jd.ContainerProperties.Command) {
			t.Errorf("converted %+v", in)
		}
	}
}

type configFlow struct {
	Settings struct{ Prefix string }
}

func (f *configFlow) step(c *stepflow.Context) error { return nil }

// Create uploads the frozen configs into the flow's blobs before it
// touches the state machine, whose start task names them; a second deploy
// finds them there.
func TestCreateUploadsConfigs(t *testing.T) {
	e := setup(t, false)
	g, err := graph.New(flow.MustDefinitionOf(stepflow.New[configFlow]("ConfigFlow").
		Config("settings", "settings.json", "prefix").
		Step("start", (*configFlow).step, stepflow.Next("end")).
		Step("end", (*configFlow).step)))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"Prefix":">> "}`)
	h := datastore.BlobHash(data)
	e.opts.Graph = g
	e.opts.Settings.Configs = map[string]string{"settings": h}
	e.opts.Configs = []deploy.ConfigBlob{{Name: "settings", Data: data}}
	st := datastore.NewStore(e.opts.Store, "ConfigFlow")
	ctx := context.Background()

	// The state machine cannot be created: the config is uploaded anyway,
	// before it.
	e.f.Fail("CreateStateMachine", "AccessDeniedException", 1)
	if err := e.create(t); err == nil {
		t.Fatal("the injected AccessDeniedException did not fail the deploy")
	}
	if got, err := st.Blobs().Get(ctx, h); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("config blob after a failed deploy: %q %v", got, err)
	}
	if !strings.Contains(e.out.String(), "config settings (blob "+h+"): uploaded\n") {
		t.Errorf("output:\n%s", e.out)
	}

	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.out.String(), "config settings (blob "+h+"): unchanged\n") {
		t.Errorf("output:\n%s", e.out)
	}
	m := e.f.Machine("ConfigFlow")
	if want := `{"Name":"STEPFLOW_CONFIGS","Value":"{\"settings\":\"` + h + `\"}"}`; !strings.Contains(m.Definition, want) {
		t.Errorf("definition lacks %s:\n%s", want, m.Definition)
	}

	// Blobs that are not the frozen values, or no value for a config:
	// refused before any write.
	e.opts.Configs = []deploy.ConfigBlob{{Name: "settings", Data: []byte(`{"Prefix":"other"}`)}}
	if err := e.create(t); err == nil || !strings.Contains(err.Error(), "config settings") {
		t.Errorf("mismatched blob: %v", err)
	}
	e.opts.Settings.Configs, e.opts.Configs = nil, nil
	if err := e.create(t); err == nil || !strings.Contains(err.Error(), "config settings has no frozen value") {
		t.Errorf("no frozen config: %v", err)
	}
	if w := e.f.Writes(); len(w) > 0 {
		t.Errorf("refused deploys wrote %q", w)
	}
}

// TestCreatePushesImagesForTheQueue: create asks for the flow image once
// the queue is read, for the queue's architecture, and deploys what it
// returns.
func TestCreatePushesImagesForTheQueue(t *testing.T) {
	e := setup(t, false)
	e.opts.Settings.Image = ""
	e.opts.Settings.ImageRepository = "123456789012.dkr.ecr.us-east-1.amazonaws.com/stepflow"
	var asked []string
	e.opts.Images = func(ctx context.Context, need deploy.QueueArchs) (string, map[string]string, error) {
		for _, a := range need.Archs() {
			asked = append(asked, string(a))
		}
		return testImage, nil, nil
	}
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	if strings.Join(asked, ",") != "amd64" {
		t.Errorf("images asked for %v, want amd64 (the queue's EC2 compute environment)", asked)
	}
	for _, name := range e.f.JobDefinitions() {
		if in := e.f.JobDefinitionInput(name); *in.ContainerProperties.Image != testImage {
			t.Errorf("job definition %s runs %s, want the pushed image", name, *in.ContainerProperties.Image)
		}
	}
}
