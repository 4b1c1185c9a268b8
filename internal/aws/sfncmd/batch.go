package sfncmd

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/stepflow/stepflow/internal/aws/batchrun"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/jobdef"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/s3store"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/flowcmd"
	"github.com/stepflow/stepflow/internal/usage"
)

// EnvBatchPoll sets how often run --with batch polls DescribeJobs and the
// jobs' logs (a duration; default batchrun.DefaultPoll).
const EnvBatchPoll = "STEPFLOW_BATCH_POLL"

// batchRuntime prepares a local run whose steps req.Steps run on AWS Batch
// (run --with batch, stepflow.OnBatch): the deploy settings (configure
// aws), the S3 datastore, the flow image (built and pushed as
// step-functions image does, unless the settings name one), a job
// definition per step registered as create registers them, and the
// executor that submits the jobs. Every missing setting is bad input
// before any AWS call.
func batchRuntime(ctx context.Context, env *command.Env, req flowcmd.BatchRequest) (*flowcmd.BatchRuntime, error) {
	f, g := req.Flow, req.Graph
	s, err := loadSettings(env, statemachine.Settings{})
	if err != nil {
		return nil, err
	}
	root := req.Root
	if root == "" {
		root = s.DatastoreRoot
	}
	switch {
	case root == "":
		return nil, usage.Errorf("steps on AWS Batch need the S3 datastore the jobs write to, and none is set: give --datastore-root s3://BUCKET/PREFIX, or set it once with 'stepflow configure aws' (%s)", statemachine.How("datastore-root"))
	case !strings.HasPrefix(root, "s3://"):
		return nil, usage.Errorf("datastore root %s (%s) is a directory on this machine, which AWS Batch jobs cannot reach: give an S3 one, --datastore-root s3://BUCKET/PREFIX, or leave %s out to use the one 'stepflow configure aws' set%s", root, req.RootFrom, req.RootFrom, configured(s.DatastoreRoot))
	}
	s.DatastoreRoot = root
	var miss []statemachine.Missing
	if s.Region == "" {
		miss = append(miss, statemachine.Missing{Flag: "region", Why: "the AWS region of the job queue"})
	}
	if req.Overrides.Queue == "" && s.Queue == "" {
		for _, name := range req.Steps {
			if g.Node(name).Step.Options.Batch.Queue == "" {
				miss = append(miss, statemachine.Missing{Flag: "queue", Why: "the AWS Batch job queue the steps are submitted to (or --with batch:queue=NAME)"})
				break
			}
		}
	}
	if s.Image == "" && s.ImageRepository == "" {
		miss = append(miss, statemachine.Missing{Flag: "image-repository", Why: "the container repository the flow image is pushed to"})
	}
	if len(miss) > 0 {
		return nil, missingSettings(f.Def.Name, miss)
	}
	poll := time.Duration(0)
	if v := env.Getenv(EnvBatchPoll); v != "" {
		if poll, err = time.ParseDuration(v); err != nil || poll <= 0 {
			return nil, usage.Errorf("%s=%q: give a positive duration such as 2s", EnvBatchPoll, v)
		}
	}
	c, err := deploy.NewClients(ctx, s, deploy.ClientOptions{})
	if err != nil {
		return nil, err
	}
	backend, err := openS3Store(ctx, env, f.Def.Name, s)
	if err != nil {
		return nil, err
	}
	store := datastore.NewStore(backend, f.Def.Name)
	progress := deploy.NewProgress(env.Stderr, env.Args0+": run --with batch: ", nil)
	need := deploy.QueueArchs{}
	if s.Image == "" {
		// The image is built for the architectures the queues run.
		progress.Phase("checks", "reading the job queues")
		qs := s
		qs.Queue = firstOf(req.Overrides.Queue, s.Queue)
		if need, err = deploy.QueueArchitectures(ctx, c, g, qs); err != nil {
			return nil, err
		}
	}
	if s.Image, s.StepImages, err = pushImages(ctx, env, f, s, imageOptions{}, need, progress); err != nil {
		return nil, err
	}
	jenv := []jobdef.KeyValuePair{
		{Name: statemachine.EnvFlow, Value: f.Def.Name},
		{Name: statemachine.EnvDatastoreRoot, Value: root},
		{Name: "AWS_REGION", Value: s.Region},
		{Name: "AWS_DEFAULT_REGION", Value: s.Region},
	}
	d := jobdef.Defaults{Flow: f.Def.Name, JobRole: s.JobRole, ExecutionRole: s.ExecutionRole, AssignPublicIP: s.AssignPublicIP, Env: jenv}
	steps := map[string]batchrun.Step{}
	for _, name := range req.Steps {
		o := g.Node(name).Step.Options
		d.Image = s.ImageFor(o.Batch.Image)
		jd, _ := jobdef.Build(name, o, d)
		progress.Phase("job definitions", "registering the job definition of step %s", name)
		if _, err := deploy.RegisterJobDefinition(ctx, c, jd); err != nil {
			return nil, err
		}
		st := batchrun.Step{JobDefinition: jd.JobDefinitionName, Queue: firstOf(req.Overrides.Queue, o.Batch.Queue, s.Queue)}
		if o.Batch.LogDriver == "awslogs" {
			st.LogGroup = o.Batch.LogOptions["awslogs-group"]
		}
		steps[name] = st
	}
	progress.Done()
	ex := &batchrun.Executor{Batch: c.Batch, Logs: c.Logs, Store: store, Flow: f.Def.Name, Root: root,
		Definition: f.Def.Fingerprint(), Steps: steps, Resources: resourceOverrides(req.Overrides), Poll: poll}
	var local []string
	for _, k := range []string{s3store.EnvEndpoint, s3store.EnvRegion, s3store.EnvPathStyle} {
		if v := s3Env(env, s)(k); v != "" {
			local = append(local, k+"="+v)
		}
	}
	return &flowcmd.BatchRuntime{Exec: ex, Store: store, Root: root, Env: local}, nil
}

// configured names the configured datastore root in a message.
func configured(root string) string {
	if root == "" {
		return " (none yet)"
	}
	return " (" + root + ")"
}

// resourceOverrides are the ContainerOverrides of --with batch:cpu=...,
// memory=..., gpu=....
func resourceOverrides(o flowcmd.BatchOverrides) []batchtypes.ResourceRequirement {
	var out []batchtypes.ResourceRequirement
	add := func(t batchtypes.ResourceType, v string) {
		out = append(out, batchtypes.ResourceRequirement{Type: t, Value: aws.String(v)})
	}
	if o.CPU > 0 {
		add(batchtypes.ResourceTypeVcpu, strconv.FormatFloat(o.CPU, 'g', -1, 64))
	}
	if o.Memory != "" {
		n, _ := flow.ParseMiB(o.Memory) // checked by the flag
		add(batchtypes.ResourceTypeMemory, strconv.FormatInt(n, 10))
	}
	if o.GPU > 0 {
		add(batchtypes.ResourceTypeGpu, strconv.Itoa(o.GPU))
	}
	return out
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// missingSettings names every setting a run with steps on AWS Batch lacks,
// with its variable and config key (run has no flag for them).
func missingSettings(flow string, miss []statemachine.Missing) error {
	var b strings.Builder
	fmt.Fprintf(&b, "flow %s cannot run steps on AWS Batch: %d setting(s) missing:", flow, len(miss))
	for _, m := range miss {
		for _, si := range statemachine.SettingInfos() {
			if si.Flag == m.Flag {
				fmt.Fprintf(&b, "\n  %s (%s): set %s, or %q in the config file ('stepflow configure aws')", si.Key, m.Why, si.Env, si.Key)
			}
		}
	}
	return usage.Errorf("%s", b.String())
}
