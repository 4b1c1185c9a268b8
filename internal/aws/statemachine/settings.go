package statemachine

import (
	"fmt"
	"github.com/stepflow/stepflow/internal/flow"
	"strconv"
	"strings"
	"time"
)

// Settings are the deploy settings of a flow on AWS. They come from flags,
// STEPFLOW_* environment variables and a JSON config file, in that order of
// precedence (see internal/aws/settings.Load); the compiler only receives
// them. A step's own stepflow.Batch options override the
// queue, image and roles.
type Settings struct {
	Region    string // AWS region, e.g. us-east-1
	Partition string // aws, aws-cn, aws-us-gov; default: from SFNRole, else Region
	Queue     string // AWS Batch job queue (name or ARN)
	// Image is the flow's own image by digest (repository@sha256:...),
	// which create builds and pushes to ImageRepository; set it only to
	// deploy an image pushed before (step-functions image).
	Image string
	// ImageRepository is the container repository (ECR) create pushes the
	// flow image to: the template's output ImageRepositoryUri.
	ImageRepository string
	// BaseImage is the image the flow binary is put on; empty: an empty
	// base (the binary, CA roots and /tmp only). Pinned by digest when
	// deployed.
	BaseImage string
	// StepImages are the flow images of steps with a base image of their
	// own (stepflow.Batch.Image): base image as the step names it -> flow
	// image by digest. create fills them in.
	StepImages    map[string]string
	JobRole       string // IAM role ARN the tasks assume (S3 datastore, DynamoDB)
	ExecutionRole string // IAM role ARN for ECS; required on Fargate
	SFNRole       string // IAM role ARN of the state machine (deploy only)
	SchedulerRole string // IAM role ARN EventBridge Scheduler assumes (deploy only)
	DynamoDBTable string // bookkeeping table: foreach widths and switch targets
	DatastoreRoot string // s3://bucket/prefix
	Branch        string // optional deployment branch, part of the state machine name
	NamePrefix    string // optional prefix of the state machine (and schedule) name
	// Platform is the AWS Batch platform of steps that do not choose one
	// (stepflow.Batch.Platform): "EC2" or "FARGATE"; empty: DefaultPlatform.
	// It must be one the job queues can run (create checks).
	Platform string
	// AssignPublicIP is the Fargate tasks' assignPublicIp: "ENABLED" (the
	// default: the template's subnets are public) or "DISABLED" (private
	// subnets with a NAT gateway or VPC endpoints).
	AssignPublicIP string

	// Deploy and operations only (internal/aws/deploy).
	LogGroupARN string // CloudWatch Logs group ARN for --log-execution-history
	// DeadLetterQueue is the ARN of the SQS queue the schedule and the
	// triggers' event rules send a start they could not make to (the
	// template's output DeadLetterQueue); empty: none.
	DeadLetterQueue string
	// Endpoint overrides, for tests and AWS-compatible services; empty: AWS.
	SFNEndpoint       string
	BatchEndpoint     string
	SchedulerEndpoint string
	EventsEndpoint    string // EventBridge (the triggers' rules, send-event)
	LogsEndpoint      string
	S3Endpoint        string
	ECREndpoint       string // the ECR API (logins), not the registry

	// ProductionToken is set by the deploy (never by the user): it becomes
	// STEPFLOW_PRODUCTION_TOKEN in every job definition.
	ProductionToken string

	// Configs are the flow's configs frozen into the deployment: config
	// name -> blob hash of the encoded value (datastore.BlobHash), one per
	// config of the flow. The CLI reads and encodes the files (as a local
	// run does); the start task gets them as STEPFLOW_CONFIGS and records
	// them in the run record. The deploy uploads the blobs.
	Configs map[string]string
	// Files are the flow's file parameters' default files frozen into the
	// deployment: parameter name -> run value (flow.FileValue, "HASH:SIZE:NAME"),
	// one per file parameter that is not required. The definition gives
	// them as the parameters' defaults; the deploy uploads the files.
	Files map[string]string

	WorkflowTimeout time.Duration // execution timeout; 0: none (a year, the AWS maximum)
	// TaskTimeout is the TimeoutSeconds of the Task states of steps without
	// a timeout of their own (queue time included); 0: DefaultTaskTimeout.
	TaskTimeout    time.Duration
	MaxWorkers     int  // MaxConcurrency of every foreach Map; 0: DefaultMaxWorkers
	DistributedMap bool // use DISTRIBUTED Maps (child executions) for every foreach
	// NoArrayJobs keeps every foreach a Step Functions Map: a top-level
	// foreach over one step otherwise runs as AWS Batch array jobs.
	NoArrayJobs bool
	// ArraySize is the most children of one array job, 2 to 10,000 (0:
	// 10,000, AWS Batch's most); a wider foreach runs as array jobs of
	// min(ArraySize, 1,000) children.
	ArraySize int

	// DistributedMapThreshold is the widest top-level foreach that runs as
	// one INLINE Map; wider ones run chunked in a DISTRIBUTED Map (chosen
	// at run time). 0: automatic, DefaultDistributedMapThreshold lowered
	// for foreach bodies that take many history events. 1 to 1000.
	DistributedMapThreshold int
	// ForeachChunk is the number of items of one chunk of a chunked
	// foreach (one child execution each). 0: automatic,
	// DefaultForeachChunk lowered for foreach bodies that take many history
	// events. 1 to 1000.
	ForeachChunk int
}

// DefaultDistributedMapThreshold and DefaultForeachChunk are the largest
// values: States.ArrayRange returns at most 1,000 items. The automatic
// values lower them so that history events stay within budget
// (docs/state-machine.md, "Wide foreach").
const (
	DefaultDistributedMapThreshold = 1000
	DefaultForeachChunk            = 1000
)

// DefaultPlatform is the AWS Batch platform of a step when neither the step
// nor the settings choose one. The CloudFormation template's default
// compute environment (ComputeType EC2) runs it.
const DefaultPlatform = "EC2"

// PlatformOf returns the platform a step with its own platform p runs on.
func (s *Settings) PlatformOf(p string) string {
	switch {
	case p != "":
		return p
	case s.Platform != "":
		return s.Platform
	}
	return DefaultPlatform
}

// ImageFor returns the flow image of a step whose own base image is base
// ("": the flow's base): Image or StepImages[base] once create has pushed
// them, else the image repository with PlaceholderDigest.
func (s *Settings) ImageFor(base string) string {
	if base == "" && s.Image != "" {
		return s.Image
	}
	if img := s.StepImages[base]; base != "" && img != "" {
		return img
	}
	return strings.TrimSuffix(s.ImageRepository, "/") + "@" + PlaceholderDigest
}

// givenImages are the images the settings name, by what names them.
func (s *Settings) givenImages() map[string]string {
	out := map[string]string{}
	if s.Image != "" {
		out["the flow image"] = s.Image
	}
	for base, img := range s.StepImages {
		out["the flow image on base "+base] = img
	}
	return out
}

// imagesGiven reports whether every step of f has its flow image without
// the repository: Image for the steps on the flow's base, StepImages for
// the others.
func (s *Settings) imagesGiven(f *flow.Flow) bool {
	for _, st := range f.Steps {
		if b := st.Options.Batch.Image; (b == "" && s.Image == "") || (b != "" && s.StepImages[b] == "") {
			return false
		}
	}
	return true
}

// DefaultMaxWorkers is the MaxConcurrency of a foreach Map by default.
const DefaultMaxWorkers = 100

// setting describes one setting: how a user sets it.
type setting struct {
	key  string // config file key
	flag string
	env  string
	get  func(*Settings) *string
}

var settingList = []setting{
	{"region", "region", "STEPFLOW_REGION", func(s *Settings) *string { return &s.Region }},
	{"partition", "partition", "STEPFLOW_PARTITION", func(s *Settings) *string { return &s.Partition }},
	{"batch_queue", "queue", "STEPFLOW_BATCH_QUEUE", func(s *Settings) *string { return &s.Queue }},
	{"batch_image", "image", "STEPFLOW_BATCH_IMAGE", func(s *Settings) *string { return &s.Image }},
	{"image_repository", "image-repository", "STEPFLOW_IMAGE_REPOSITORY", func(s *Settings) *string { return &s.ImageRepository }},
	{"base_image", "base-image", "STEPFLOW_BASE_IMAGE", func(s *Settings) *string { return &s.BaseImage }},
	{"batch_job_role", "job-role", "STEPFLOW_BATCH_JOB_ROLE", func(s *Settings) *string { return &s.JobRole }},
	{"batch_execution_role", "execution-role", "STEPFLOW_BATCH_EXECUTION_ROLE", func(s *Settings) *string { return &s.ExecutionRole }},
	{"sfn_role", "sfn-role", "STEPFLOW_SFN_ROLE", func(s *Settings) *string { return &s.SFNRole }},
	{"scheduler_role", "scheduler-role", "STEPFLOW_SCHEDULER_ROLE", func(s *Settings) *string { return &s.SchedulerRole }},
	{"dynamodb_table", "dynamodb-table", "STEPFLOW_DYNAMODB_TABLE", func(s *Settings) *string { return &s.DynamoDBTable }},
	{"datastore_root", "datastore-root", "STEPFLOW_DATASTORE_ROOT", func(s *Settings) *string { return &s.DatastoreRoot }},
	{"branch", "branch", "STEPFLOW_BRANCH", func(s *Settings) *string { return &s.Branch }},
	{"name_prefix", "name-prefix", "STEPFLOW_NAME_PREFIX", func(s *Settings) *string { return &s.NamePrefix }},
	{"platform", "platform", "STEPFLOW_PLATFORM", func(s *Settings) *string { return &s.Platform }},
	{"assign_public_ip", "assign-public-ip", "STEPFLOW_ASSIGN_PUBLIC_IP", func(s *Settings) *string { return &s.AssignPublicIP }},
	{"sfn_log_group_arn", "log-group-arn", "STEPFLOW_SFN_LOG_GROUP_ARN", func(s *Settings) *string { return &s.LogGroupARN }},
	{"dead_letter_queue", "dead-letter-queue", "STEPFLOW_DEAD_LETTER_QUEUE", func(s *Settings) *string { return &s.DeadLetterQueue }},
	{"sfn_endpoint", "sfn-endpoint", "STEPFLOW_SFN_ENDPOINT", func(s *Settings) *string { return &s.SFNEndpoint }},
	{"batch_endpoint", "batch-endpoint", "STEPFLOW_BATCH_ENDPOINT", func(s *Settings) *string { return &s.BatchEndpoint }},
	{"scheduler_endpoint", "scheduler-endpoint", "STEPFLOW_SCHEDULER_ENDPOINT", func(s *Settings) *string { return &s.SchedulerEndpoint }},
	{"events_endpoint", "events-endpoint", "STEPFLOW_EVENTS_ENDPOINT", func(s *Settings) *string { return &s.EventsEndpoint }},
	{"logs_endpoint", "logs-endpoint", "STEPFLOW_LOGS_ENDPOINT", func(s *Settings) *string { return &s.LogsEndpoint }},
	{"s3_endpoint", "s3-endpoint", "STEPFLOW_S3_ENDPOINT", func(s *Settings) *string { return &s.S3Endpoint }},
	{"ecr_endpoint", "ecr-endpoint", "STEPFLOW_ECR_ENDPOINT", func(s *Settings) *string { return &s.ECREndpoint }},
}

// SettingFlags lists the flag name, config key and environment variable of
// each string setting, for the CLI to declare its flags.
func SettingFlags() [][3]string {
	var out [][3]string
	for _, s := range settingList {
		out = append(out, [3]string{s.flag, s.key, s.env})
	}
	return out
}

// Field returns a pointer to the string setting named by flag, or nil.
func (s *Settings) Field(flag string) *string {
	for _, st := range settingList {
		if st.flag == flag {
			return st.get(s)
		}
	}
	return nil
}

// SettingInfo describes one string setting for "stepflow configure".
type SettingInfo struct {
	Key  string // config file key
	Flag string // flag name
	Env  string // environment variable
}

// SettingInfos lists every string setting, in config file order.
func SettingInfos() []SettingInfo {
	var out []SettingInfo
	for _, s := range settingList {
		out = append(out, SettingInfo{s.key, s.flag, s.env})
	}
	return out
}

// How tells a user how to set the setting of a flag.
func How(flag string) string { return how(flag) }

// how tells a user how to set the setting of a flag.
func how(flag string) string {
	for _, s := range settingList {
		if s.flag == flag {
			return fmt.Sprintf("--%s, %s or %q in the config file", s.flag, s.env, s.key)
		}
	}
	return "--" + flag
}

// MissingError lists every setting the flow needs that is not set.
type MissingError struct {
	Flow    string
	Missing []Missing
	// Doing is what the settings are missing for; default "be compiled
	// for AWS Step Functions".
	Doing string
}

// Missing is one missing setting.
type Missing struct {
	Flag string // the setting's flag name
	Why  string // what needs it
}

func (e *MissingError) Error() string {
	var b strings.Builder
	doing := e.Doing
	if doing == "" {
		doing = "be compiled for AWS Step Functions"
	}
	fmt.Fprintf(&b, "flow %s cannot %s: %d setting(s) missing:", e.Flow, doing, len(e.Missing))
	for _, m := range e.Missing {
		fmt.Fprintf(&b, "\n  %s (%s): set it with %s", m.Flag, m.Why, how(m.Flag))
	}
	return b.String()
}

// PartitionName returns the AWS partition of the settings.
func (s *Settings) PartitionName() string { return s.partition() }

// partition returns the AWS partition of the settings.
func (s *Settings) partition() string {
	if s.Partition != "" {
		return s.Partition
	}
	if f := strings.Split(s.SFNRole, ":"); len(f) > 2 && f[0] == "arn" && f[1] != "" {
		return f[1]
	}
	switch {
	case strings.HasPrefix(s.Region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(s.Region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(s.Region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(s.Region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// taskTimeout is the Task timeout of steps without one of their own.
func (s *Settings) taskTimeout() time.Duration {
	if s.TaskTimeout > 0 {
		return s.TaskTimeout
	}
	return DefaultTaskTimeout
}

// account returns the AWS account id from the SFN role ARN, or "".
func (s *Settings) account() string {
	if f := strings.Split(s.SFNRole, ":"); len(f) > 4 && f[0] == "arn" {
		if _, err := strconv.ParseUint(f[4], 10, 64); err == nil {
			return f[4]
		}
	}
	return ""
}
