package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	batchsdk "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/stepflow/stepflow/internal/aws/jobdef"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/taskcontract"
	"github.com/stepflow/stepflow/internal/usage"
)

// Options are the inputs of Create.
type Options struct {
	Graph    *graph.Graph
	Settings statemachine.Settings // loaded (flags, environment, config file)
	// Images builds the flow images the deployment runs, for the
	// architectures the job queues run, and pushes them: it returns the
	// flow's image and those of steps with a base image of their own, by
	// digest (Settings.Image, Settings.StepImages). Create calls it once
	// the settings, the endpoints, the production token and the job
	// queues are known to be right (reads only), so that their problems
	// come before a build. Nil: the settings name every image already.
	Images func(ctx context.Context, archs QueueArchs) (image string, stepImages map[string]string, err error)
	// Store is the datastore backend at Settings.DatastoreRoot.
	Store datastore.Backend
	// Configs are the flow's configs frozen into the deployment, encoded
	// as a run freezes them; Settings.Configs holds their hashes. Create
	// uploads each to the flow's blobs in Store before it touches the
	// state machine.
	Configs []ConfigBlob
	// Files are the file parameters' default files frozen into the
	// deployment; Settings.Files holds their run values. Create uploads
	// each, streamed, to the flow's blobs in Store next to the configs.
	Files []FileBlob

	User      string // the deployer, recorded as the owner
	Authorize string // --authorize: the production token of another owner's deployment
	NewToken  bool   // --new-token: rotate the production token
	TokenDir  string // local token cache ("": none)
	Tags      map[string]string
	// LogExecutionHistory turns on the state machine's logging (level
	// ALL, with execution data) to Settings.LogGroupARN.
	LogExecutionHistory bool

	Out io.Writer // one line per resource: what was done
	// Progress, when set, is told as each part of the deploy starts (the
	// command's standard error); Create ends it with Done.
	Progress *Progress
}

// ConfigBlob is the encoded value of one config (artifact encoding, the
// bytes datastore.BlobHash names).
type ConfigBlob struct {
	Name string
	Data []byte
}

// FileBlob is the local file of one file parameter, frozen into a
// deployment as Value (flow.FileValue's form).
type FileBlob struct {
	Name, Path, Value string
}

// Deployment is an existing state machine and what Stepflow stored on it.
type Deployment struct {
	Name, Arn, Status string
	Flow, Token       string
	Owner             string
	Definition        string
	RoleArn           string
	Logging           *sfntypes.LoggingConfiguration
	Tags              map[string]string
}

// Check returns every setting Create needs that is missing, in one
// *statemachine.MissingError, as bad input (nil when none is): the compiler's own, then the
// deploy's (region, sfn-role, scheduler-role for a scheduled or triggered flow,
// log-group-arn with --log-execution-history).
func Check(g *graph.Graph, s statemachine.Settings, logging bool) (*statemachine.Result, error) {
	var miss []statemachine.Missing
	res, err := statemachine.Compile(g, s)
	if me := (*statemachine.MissingError)(nil); errors.As(err, &me) {
		miss = append(miss, me.Missing...)
	} else if err != nil {
		return nil, err
	}
	if s.Region == "" {
		miss = append(miss, statemachine.Missing{Flag: "region", Why: "the AWS region to deploy to"})
	}
	if s.SFNRole == "" {
		miss = append(miss, statemachine.Missing{Flag: "sfn-role", Why: "the IAM role the state machine runs as"})
	}
	switch {
	case g.Flow.Schedule != nil && s.SchedulerRole == "":
		miss = append(miss, statemachine.Missing{Flag: "scheduler-role", Why: "the IAM role EventBridge Scheduler starts the scheduled runs with"})
	case len(g.Flow.Triggers) > 0 && s.SchedulerRole == "":
		miss = append(miss, statemachine.Missing{Flag: "scheduler-role", Why: "the IAM role EventBridge starts the triggered runs with"})
	case g.Flow.OnFinish != nil && s.SchedulerRole == "":
		miss = append(miss, statemachine.Missing{Flag: "scheduler-role", Why: "the IAM role EventBridge starts the exit hook of a failed run with"})
	}
	if logging && s.LogGroupARN == "" {
		miss = append(miss, statemachine.Missing{Flag: "log-group-arn", Why: "--log-execution-history sends the execution history to this CloudWatch Logs group"})
	}
	if len(miss) > 0 {
		return nil, usage.Wrap(&statemachine.MissingError{Flow: g.Flow.Name, Missing: miss, Doing: "be deployed to AWS Step Functions"})
	}
	return res, nil
}

// Create deploys the flow: it uploads the code package, registers the job
// definitions that do not exist yet, creates or updates the state machine
// and its tags, and creates, updates or deletes its schedule and the
// EventBridge rules of its triggers (rules.go). It changes
// nothing that is already as wanted, and prints one line per resource.
func Create(ctx context.Context, c *Clients, o Options) error {
	if _, err := Check(o.Graph, o.Settings, o.LogExecutionHistory); err != nil {
		return err
	}
	s := o.Settings
	f := o.Graph.Flow
	name := statemachine.MachineName(f, s)
	out := o.Out
	if out == nil {
		out = io.Discard
	}

	p := o.Progress
	p.Phase("checks", "checking the deployment, the job queues and the datastore")
	// The existing deployment: who owns it, its token.
	d, token, tokenState, err := claim(ctx, c, o, name)
	if err != nil {
		return err
	}

	// The job queues: can they run the steps' platforms? (reads only)
	queueWarnings, archs, err := checkQueues(ctx, c, o.Graph, s)
	if err != nil {
		return err
	}

	// The datastore: does S3 answer there? (a HeadObject of a key no one
	// writes, under code/, which the user may read: docs/iam.md). S3
	// answers a missing key with 404 to a caller who may list the bucket
	// and with 403 to one who may not (the deployer needs no
	// s3:ListBucket): either answer is S3's, so the datastore is reached.
	probe := path.Join(f.Name, "code", "reachable")
	if _, err := o.Store.Stat(ctx, probe); err != nil && !errors.Is(err, datastore.ErrNotFound) && httpStatus(err) != http.StatusForbidden {
		return fmt.Errorf("reach the datastore %s: %w", s.DatastoreRoot, err)
	}

	// The flow images, pushed (they print what they did).
	if o.Images != nil {
		if s.Image, s.StepImages, err = o.Images(ctx, archs); err != nil {
			return err
		}
	}

	// The configs: the blobs the start task records in each run record,
	// there before any run of the new definition can start.
	if len(o.Configs) > 0 {
		p.Phase("configs", "uploading %s to the datastore", plural(len(o.Configs), "config"))
	}
	if err := uploadConfigs(ctx, datastore.NewStore(o.Store, f.Name).Blobs(), s, o.Configs, out); err != nil {
		return err
	}
	if len(o.Files) > 0 {
		p.Phase("files", "uploading %s to the datastore", plural(len(o.Files), "file"))
	}
	if err := uploadFiles(ctx, datastore.NewStore(o.Store, f.Name).Blobs(), s, o.Files, out); err != nil {
		return err
	}

	s.ProductionToken = token
	res, err := statemachine.Compile(o.Graph, s)
	if err != nil {
		return err
	}

	// Job definitions: content-hash names, so one that exists is current.
	p.Phase("job definitions", "registering %s", plural(len(res.JobDefinitions), "job definition"))
	for _, jd := range res.JobDefinitions {
		state, err := registerJobDefinition(ctx, c, jd)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "job definition %s: %s\n", jd.JobDefinitionName, state)
	}

	// The state machine.
	want, err := wantedMachine(o, name, token, res)
	if err != nil {
		return err
	}
	// A machine created by someone else between claim and create passes
	// the same checks before it is updated.
	recheck := func(have *Deployment) error {
		return checkOwner(have, f.Name, statemachine.MachineScope(f, o.Settings), o.User, o.Authorize, readToken(o.TokenDir, name), "redeploy")
	}
	p.Phase("state machine", "creating or updating state machine %s", name)
	arn, state, err := putStateMachine(ctx, c, d, want, recheck)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "state machine %s: %s\n", name, state)

	// The schedule.
	p.Phase("schedule and rules", "creating, updating or deleting the schedule and the event rules (%s)", plural(len(f.Triggers), "trigger"))
	state, err = putSchedule(ctx, c, res.Schedule, statemachine.ScheduleName(name), arn, s.SchedulerRole, s.DeadLetterQueue)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "schedule %s: %s\n", statemachine.ScheduleName(name), state)

	// The triggers' event rules.
	if err := putRules(ctx, c, f, s, arn, s.SchedulerRole, out); err != nil {
		return err
	}

	if err := writeToken(o.TokenDir, name, token); err != nil {
		return fmt.Errorf("cache the production token: %w", err)
	}
	fmt.Fprintf(out, "production token: %s%s (%s)\n", taskcontract.ProductionPrefix, token, tokenState)
	for _, w := range append(res.Warnings, queueWarnings...) {
		fmt.Fprintf(out, "warning: %s\n", w)
	}
	for _, n := range SecretNotes(o.Graph, s) {
		fmt.Fprintf(out, "secrets: %s\n", n)
	}
	p.Done()
	return nil
}

// plural is "1 config", "2 configs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// claim finds the existing deployment of the state machine name, checks
// that the user may redeploy it, and returns the production token to
// deploy with and what happened to it: "minted", "unchanged" or "rotated".
func claim(ctx context.Context, c *Clients, o Options, name string) (d *Deployment, token, tokenState string, err error) {
	f := o.Graph.Flow
	d, err = Find(ctx, c, name)
	if err != nil {
		return nil, "", "", err
	}
	if d != nil {
		if d.Status == "DELETING" {
			return nil, "", "", userf("state machine %s is being deleted; wait until AWS has finished deleting it (usually a minute), then deploy again", name)
		}
	}
	if err := checkOwner(d, f.Name, statemachine.MachineScope(f, o.Settings), o.User, o.Authorize, readToken(o.TokenDir, name), "redeploy"); err != nil {
		return nil, "", "", err
	}
	token, tokenState = "", "minted"
	switch {
	case d != nil && d.Token != "" && !o.NewToken:
		token, tokenState = d.Token, "unchanged"
	case d != nil && d.Token != "":
		token, tokenState = NewToken(name), "rotated"
	default:
		token = NewToken(name)
	}
	return d, token, tokenState, nil
}

// wantedMachine is the state machine to deploy: the compiled definition,
// compacted, with the user's tags and Stepflow's.
func wantedMachine(o Options, name, token string, res *statemachine.Result) (*Deployment, error) {
	s, f := o.Settings, o.Graph.Flow
	var def bytes.Buffer
	if _, err := def.Write(res.Compact); err != nil {
		return nil, err
	}
	tags := map[string]string{}
	for k, v := range o.Tags {
		tags[k] = v
	}
	tags[TagFlow], tags[TagToken], tags[TagOwner] = f.Name, token, o.User
	tags[TagScope] = statemachine.MachineScope(f, s)
	return &Deployment{Name: name, Definition: def.String(), RoleArn: s.SFNRole, Logging: loggingConfig(o.LogExecutionHistory, s.LogGroupARN), Tags: tags}, nil
}

// uploadConfigs stores each config blob in the flow's datastore unless it
// is there, after checking that the blobs are the ones s.Configs names.
func uploadConfigs(ctx context.Context, store *datastore.Blobs, s statemachine.Settings, blobs []ConfigBlob, out io.Writer) error {
	if len(blobs) != len(s.Configs) {
		return fmt.Errorf("deploy: %d config blobs for %d frozen configs", len(blobs), len(s.Configs))
	}
	for _, b := range blobs {
		h := datastore.BlobHash(b.Data)
		if want, ok := s.Configs[b.Name]; !ok || want != h {
			return fmt.Errorf("deploy: config %s: blob %s is not the frozen value %q", b.Name, h, want)
		}
		state := "unchanged"
		ok, err := store.Has(ctx, h)
		if err != nil {
			return fmt.Errorf("config %s: %w", b.Name, err)
		}
		if !ok {
			if _, err := store.Put(ctx, b.Data); err != nil {
				return fmt.Errorf("upload config %s: %w", b.Name, err)
			}
			state = "uploaded"
		}
		fmt.Fprintf(out, "config %s (blob %s): %s\n", b.Name, h, state)
	}
	return nil
}

// uploadFiles streams each file parameter's file into the flow's blobs
// (PutFile: not again when the blob is there), and checks that what it
// stored is the value s.Files names: a file changed since create hashed
// it is refused.
func uploadFiles(ctx context.Context, store *datastore.Blobs, s statemachine.Settings, files []FileBlob, out io.Writer) error {
	if len(files) != len(s.Files) {
		return fmt.Errorf("deploy: %d files for %d frozen file parameters", len(files), len(s.Files))
	}
	for _, b := range files {
		want, ok := s.Files[b.Name]
		if !ok || want != b.Value {
			return fmt.Errorf("deploy: file parameter %s: value %q is not the frozen one %q", b.Name, b.Value, want)
		}
		had := strings.SplitN(want, ":", 2)[0]
		existed, err := store.Has(ctx, had)
		if err != nil {
			return fmt.Errorf("file parameter %s: %w", b.Name, err)
		}
		hash, _, err := store.PutFile(ctx, b.Path)
		if err != nil {
			return fmt.Errorf("upload file parameter %s: %w", b.Name, err)
		}
		if hash != had {
			return fmt.Errorf("file parameter %s: %s changed while create read it (hash %s, then %s); deploy again", b.Name, b.Path, had[:12], hash[:12])
		}
		state := "uploaded"
		if existed {
			state = "unchanged"
		}
		fmt.Fprintf(out, "file %s (%s, blob %s): %s\n", b.Name, b.Path, hash, state)
	}
	return nil
}

// loggingConfig is the state machine's logging: ALL with execution data to
// the log group with --log-execution-history, else OFF.
func loggingConfig(on bool, group string) *sfntypes.LoggingConfiguration {
	if !on {
		return &sfntypes.LoggingConfiguration{Level: sfntypes.LogLevelOff}
	}
	if !strings.HasSuffix(group, ":*") {
		group += ":*" // Step Functions wants the log group's ARN with its stream wildcard
	}
	return &sfntypes.LoggingConfiguration{Level: sfntypes.LogLevelAll, IncludeExecutionData: true,
		Destinations: []sfntypes.LogDestination{{CloudWatchLogsLogGroup: &sfntypes.CloudWatchLogsLogGroup{LogGroupArn: aws.String(group)}}}}
}

func sameLogging(a, b *sfntypes.LoggingConfiguration) bool {
	norm := func(l *sfntypes.LoggingConfiguration) string {
		if l == nil || l.Level == "" || l.Level == sfntypes.LogLevelOff {
			return "OFF"
		}
		var ds []string
		for _, d := range l.Destinations {
			if d.CloudWatchLogsLogGroup != nil {
				ds = append(ds, aws.ToString(d.CloudWatchLogsLogGroup.LogGroupArn))
			}
		}
		return fmt.Sprintf("%s %v %v", l.Level, l.IncludeExecutionData, ds)
	}
	return norm(a) == norm(b)
}

// registerJobDefinition registers jd unless an ACTIVE definition of its
// name exists (its name is the hash of its content).
func registerJobDefinition(ctx context.Context, c *Clients, jd *jobdef.JobDefinition) (string, error) {
	got, err := c.Batch.DescribeJobDefinitions(ctx, &batchsdk.DescribeJobDefinitionsInput{
		JobDefinitionName: aws.String(jd.JobDefinitionName), Status: aws.String("ACTIVE")})
	if err != nil {
		return "", awsErr("describe job definition "+jd.JobDefinitionName, err)
	}
	if len(got.JobDefinitions) > 0 {
		return "unchanged", nil
	}
	in, err := RegisterInput(jd)
	if err != nil {
		return "", err
	}
	if _, err := c.Batch.RegisterJobDefinition(ctx, in); err != nil {
		return "", awsErr("register job definition "+jd.JobDefinitionName, err)
	}
	return "registered", nil
}

// RegisterInput converts a compiled job definition (the RegisterJobDefinition
// request in its wire form) to the SDK's input: the SDK's input structs have
// no JSON tags and encoding/json matches the wire names to their fields
// case-insensitively; an unknown key is an error, so nothing is dropped.
func RegisterInput(jd *jobdef.JobDefinition) (*batchsdk.RegisterJobDefinitionInput, error) {
	data, err := json.Marshal(jd)
	if err != nil {
		return nil, err
	}
	var in batchsdk.RegisterJobDefinitionInput
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("job definition %s does not convert to the AWS SDK's request: %v", jd.JobDefinitionName, err)
	}
	return &in, nil
}

// Find returns the state machine named name with its tags, or nil.
func Find(ctx context.Context, c *Clients, name string) (*Deployment, error) {
	arn, err := findArn(ctx, c, name)
	if err != nil || arn == "" {
		return nil, err
	}
	got, err := c.SFN.DescribeStateMachine(ctx, &sfnsdk.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if errCode(err) == "StateMachineDoesNotExist" {
		return nil, nil
	}
	if err != nil {
		return nil, awsErr("describe state machine "+name, err)
	}
	d := &Deployment{Name: name, Arn: arn, Status: string(got.Status), Definition: aws.ToString(got.Definition),
		RoleArn: aws.ToString(got.RoleArn), Logging: got.LoggingConfiguration, Tags: map[string]string{}}
	tags, err := c.SFN.ListTagsForResource(ctx, &sfnsdk.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return nil, awsErr("list the tags of state machine "+name, err)
	}
	for _, t := range tags.Tags {
		d.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	d.Flow, d.Token, d.Owner = d.Tags[TagFlow], d.Tags[TagToken], d.Tags[TagOwner]
	return d, nil
}

// findArn looks the state machine up by name.
func findArn(ctx context.Context, c *Clients, name string) (string, error) {
	p := sfnsdk.NewListStateMachinesPaginator(c.SFN, &sfnsdk.ListStateMachinesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", awsErr("list state machines", err)
		}
		for _, m := range page.StateMachines {
			if aws.ToString(m.Name) == name {
				return aws.ToString(m.StateMachineArn), nil
			}
		}
	}
	return "", nil
}

func sfnTags(m map[string]string) []sfntypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []sfntypes.Tag
	for _, k := range keys {
		out = append(out, sfntypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// putStateMachine creates the state machine, or updates what differs.
// When the creation loses a race (the machine was created meanwhile), the
// machine found is updated only if recheck passes it.
func putStateMachine(ctx context.Context, c *Clients, have, want *Deployment, recheck func(*Deployment) error) (arn, state string, err error) {
	if have == nil {
		out, err := c.SFN.CreateStateMachine(ctx, &sfnsdk.CreateStateMachineInput{
			Name: aws.String(want.Name), Definition: aws.String(want.Definition), RoleArn: aws.String(want.RoleArn),
			Type: sfntypes.StateMachineTypeStandard, LoggingConfiguration: want.Logging, Tags: sfnTags(want.Tags)})
		if err == nil {
			return aws.ToString(out.StateMachineArn), "created", nil
		}
		// An error without an AWS code (a 500 page, a lost connection)
		// is no success: default.
		switch errCode(err) {
		case "StateMachineAlreadyExists": // created meanwhile: update it
			if have, err = Find(ctx, c, want.Name); err != nil {
				return "", "", err
			}
			if have == nil {
				return "", "", fmt.Errorf("state machine %s exists but cannot be found; deploy again", want.Name)
			}
			if err := recheck(have); err != nil {
				return "", "", err
			}
		case "StateMachineDeleting":
			return "", "", userf("state machine %s is being deleted; wait until AWS has finished deleting it (usually a minute), then deploy again", want.Name)
		default:
			return "", "", awsErr("create state machine "+want.Name, err)
		}
	}
	var did []string
	if have.Definition != want.Definition || have.RoleArn != want.RoleArn || !sameLogging(have.Logging, want.Logging) {
		_, err := c.SFN.UpdateStateMachine(ctx, &sfnsdk.UpdateStateMachineInput{StateMachineArn: aws.String(have.Arn),
			Definition: aws.String(want.Definition), RoleArn: aws.String(want.RoleArn), LoggingConfiguration: want.Logging})
		if errCode(err) == "StateMachineDeleting" {
			return "", "", userf("state machine %s is being deleted; wait until AWS has finished deleting it (usually a minute), then deploy again", want.Name)
		}
		if err != nil {
			return "", "", awsErr("update state machine "+want.Name, err)
		}
		did = append(did, "definition")
	}
	changed := map[string]string{}
	for k, v := range want.Tags {
		if old, ok := have.Tags[k]; !ok || old != v {
			changed[k] = v
		}
	}
	if len(changed) > 0 {
		if _, err := c.SFN.TagResource(ctx, &sfnsdk.TagResourceInput{ResourceArn: aws.String(have.Arn), Tags: sfnTags(changed)}); err != nil {
			return "", "", awsErr("tag state machine "+want.Name, err)
		}
		did = append(did, "tags")
	}
	if len(did) == 0 {
		return have.Arn, "unchanged", nil
	}
	return have.Arn, "updated (" + strings.Join(did, ", ") + ")", nil
}

// putSchedule makes the schedule match want (nil: no schedule). A start
// the schedule cannot make goes to the SQS queue dlq ("": none).
func putSchedule(ctx context.Context, c *Clients, want *statemachine.Schedule, name, machineArn, role, dlq string) (string, error) {
	have, err := c.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name)})
	if errCode(err) == "ResourceNotFoundException" {
		have, err = nil, nil
	}
	if err != nil {
		return "", awsErr("get schedule "+name, err)
	}
	if want == nil {
		if have == nil {
			return "none", nil
		}
		if _, err := c.Scheduler.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(name)}); err != nil && errCode(err) != "ResourceNotFoundException" {
			return "", awsErr("delete schedule "+name, err)
		}
		return "deleted (the flow has no schedule)", nil
	}
	target := &schedtypes.Target{Arn: aws.String(machineArn), RoleArn: aws.String(role), Input: aws.String(want.Target.Input)}
	if want.Target.RoleArn != "" {
		target.RoleArn = aws.String(want.Target.RoleArn)
	}
	if dlq != "" {
		target.DeadLetterConfig = &schedtypes.DeadLetterConfig{Arn: aws.String(dlq)}
	}
	fw := &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowMode(want.FlexibleTimeWindow.Mode)}
	summary := want.ScheduleExpression + " " + want.ScheduleExpressionTimezone
	if have == nil {
		_, err := c.Scheduler.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String(name),
			ScheduleExpression: aws.String(want.ScheduleExpression), ScheduleExpressionTimezone: aws.String(want.ScheduleExpressionTimezone),
			Description: aws.String(want.Description), State: schedtypes.ScheduleState(want.State), FlexibleTimeWindow: fw, Target: target})
		if err != nil {
			return "", awsErr("create schedule "+name, err)
		}
		return "created (" + summary + ")", nil
	}
	same := aws.ToString(have.ScheduleExpression) == want.ScheduleExpression &&
		aws.ToString(have.ScheduleExpressionTimezone) == want.ScheduleExpressionTimezone &&
		aws.ToString(have.Description) == want.Description && string(have.State) == want.State &&
		have.FlexibleTimeWindow != nil && have.FlexibleTimeWindow.Mode == fw.Mode &&
		have.Target != nil && aws.ToString(have.Target.Arn) == machineArn && aws.ToString(have.Target.RoleArn) == aws.ToString(target.RoleArn) &&
		aws.ToString(have.Target.Input) == want.Target.Input && dlqArn(have.Target.DeadLetterConfig) == dlq
	if same {
		return "unchanged", nil
	}
	_, err = c.Scheduler.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{Name: aws.String(name),
		ScheduleExpression: aws.String(want.ScheduleExpression), ScheduleExpressionTimezone: aws.String(want.ScheduleExpressionTimezone),
		Description: aws.String(want.Description), State: schedtypes.ScheduleState(want.State), FlexibleTimeWindow: fw, Target: target})
	if err != nil {
		return "", awsErr("update schedule "+name, err)
	}
	return "updated (" + summary + ")", nil
}

// dlqArn is the queue of a schedule's dead-letter configuration, or "".
func dlqArn(d *schedtypes.DeadLetterConfig) string {
	if d == nil {
		return ""
	}
	return aws.ToString(d.Arn)
}

// httpStatus is the HTTP status of the AWS response err carries, or 0.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
