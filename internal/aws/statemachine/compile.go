// Package sfn compiles a flow's graph to an Amazon States Language
// definition for AWS Step Functions, the AWS Batch job definitions its Task
// states submit to, and the flow's schedule (EventBridge Scheduler). It is
// pure: no AWS call, no file written, and the same input always gives the
// same bytes. docs/state-machine.md describes the shape of the output and
// the contract with the task side.
package statemachine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/aws/jobdef"
	"github.com/stepflow/stepflow/internal/cachekey"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/taskcontract"
	"github.com/stepflow/stepflow/internal/trigger"
	"github.com/stepflow/stepflow/internal/usage"
)

// Result is a compiled flow.
type Result struct {
	Name           string                  // state machine name
	Definition     []byte                  // ASL, indented JSON with a final newline
	Compact        []byte                  // ASL, compact: the form deployed and counted against the 1 MiB limit
	DefinitionSize int                     // bytes of Compact
	JobDefinitions []*jobdef.JobDefinition // one per distinct container, sorted by name
	Schedule       *Schedule               // nil when the flow has no schedule
	Warnings       []string                // options without effect on AWS

	// What Plan simulates: the compiled states, the step of every Batch
	// Task and DynamoDB getItem state, the graph and the settings.
	states obj
	start  string // the StartAt state
	stepOf map[string]string
	graph  *graph.Graph
	s      Settings
}

// Names of payload fields and the DynamoDB item attributes (see
// docs/state-machine.md).
const (
	AttrPathspec = "pathspec" // key (S): run/step/task of the foreach or switch task
	AttrWidth    = "width"    // N: number of foreach items
	AttrTarget   = "target"   // S: the step a switch chose
	AttrTTL      = "ttl"      // N: expiry, seconds since the epoch
)

// Environment variables the compiled state machine and job definitions set
// for the task: the task contract's (internal/taskcontract,
// docs/task-contract.md).
const (
	EnvRunID         = taskcontract.EnvRunID
	EnvStep          = taskcontract.EnvStep
	EnvTaskID        = taskcontract.EnvTaskID
	EnvAttempt       = taskcontract.EnvAttempt
	EnvParams        = taskcontract.EnvParams
	EnvTrigger       = taskcontract.EnvTrigger // start task: the input's Trigger block, JSON
	EnvConfigs       = taskcontract.EnvConfigs // start task: JSON object, config name -> blob hash (Settings.Configs), a literal
	EnvCaught        = taskcontract.EnvCaught
	EnvCatchAttempts = taskcontract.EnvCatchAttempts
	EnvDatastoreRoot = taskcontract.EnvDatastoreRoot
	EnvDynamoDBTable = taskcontract.EnvDynamoDBTable
	EnvTTLSeconds    = taskcontract.EnvTTLSeconds
	EnvFlow          = taskcontract.EnvFlow
	// EnvForeachLimit is set on a nested foreach compiled to one INLINE
	// Map only: its width is at most maxRange (States.ArrayRange).
	EnvForeachLimit = taskcontract.EnvForeachLimit
	// EnvArrayOffset is set on an array job (arrayjob.go): each child's
	// task id is it plus its AWS_BATCH_JOB_ARRAY_INDEX.
	EnvArrayOffset = taskcontract.EnvArrayOffset
	// EnvProductionToken is the deployment's production token (set by
	// step-functions create): the production namespace of its runs.
	EnvProductionToken = taskcontract.EnvProductionToken
)

// RunPrefix starts the id of every run on Step Functions: "sfn-" and the
// execution name.
const RunPrefix = "sfn-"

// IsRunID reports whether id names a Step Functions run: RunPrefix and a
// non-empty execution name.
func IsRunID(id string) bool { return strings.HasPrefix(id, RunPrefix) && len(id) > len(RunPrefix) }

// PlaceholderDigest stands for the digest of the flow image when the
// settings name no image (create --only-json): create replaces it with the
// digest of the image it builds and pushes, of the same length, so the
// definition's size is the deployed one.
const PlaceholderDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// QueueAllowance is added to a step's attempt duration to make the Task
// state's TimeoutSeconds: time to wait in the job queue and start.
const QueueAllowance = time.Hour

// TransientErrors are the errors of the AWS Batch integration that a retry
// may cure: AWS Batch's server errors (ServerException), throttling and
// other service errors reported as AWSBatchException, and the integration's
// own client failures (SdkClientException: network). They are retried with
// backoff before the step's own retry.
var TransientErrors = []string{"Batch.AWSBatchException", "Batch.ServerException", "Batch.SdkClientException"}

// DefaultTaskTimeout is the TimeoutSeconds of the Task state of a step
// without a timeout of its own (Settings.TaskTimeout overrides it): a job
// that can never be placed fails the run after it instead of after a year.
const DefaultTaskTimeout = 7 * 24 * time.Hour

// MinAttemptDuration is AWS Batch's smallest attempt duration. Shorter
// step timeouts are rounded up for Batch; the task enforces the step's own
// timeout in-process, so the Batch timeout is only a backstop.
const MinAttemptDuration = 60

// redriveMargin keeps bookkeeping items beyond the execution's lifetime, so
// a redrive (allowed up to 14 days after the end) still finds them.
const redriveMargin = 15 * 24 * time.Hour

// maxExecution is the longest Standard execution.
const maxExecution = 365 * 24 * time.Hour

// Compile compiles the flow of g. Errors are bad input (*usage.Error)
// wrapping a *MissingError (settings), or an *Error or errors.Join of them
// (a step that cannot be compiled or breaks an AWS limit). The step options
// obey the rules of AWS Batch: g is linted.
func Compile(g *graph.Graph, s Settings) (*Result, error) {
	g, err := withPlatform(g, s)
	if err != nil {
		return nil, err
	}
	c := &compiler{g: g, f: g.Flow, s: s, part: s.partition(), jds: map[string]*jobdef.JobDefinition{}, jdOf: map[string]string{}, mapItems: map[string]int{}, stepOf: map[string]string{}}
	if err := c.check(); err != nil {
		return nil, usage.Wrap(err)
	}
	c.jobDefinitions()
	c.cacheWarnings() // cache.go
	states := c.init()
	c.scope(&states, g.Start, "")
	c.hookStates(&states)
	c.checkHistory(states)
	if len(c.errs) > 0 {
		return nil, usage.Wrap(errors.Join(c.errs...))
	}
	def := obj{{"Comment", fmt.Sprintf("Stepflow flow %s (generated by step-functions create; do not edit)", c.f.Name)},
		{"StartAt", c.startAt()}, {"States", states}}
	if s.WorkflowTimeout > 0 {
		def = append(def, kv{"TimeoutSeconds", int64(math.Ceil(s.WorkflowTimeout.Seconds()))})
	}
	compact, err := marshal(def)
	if err != nil {
		return nil, err
	}
	if len(compact) > MaxDefinition {
		return nil, usage.Wrap(&Error{Limit: "definition", Problem: fmt.Sprintf("the state machine definition is %d bytes, over the AWS limit of %d", len(compact), MaxDefinition),
			Fix: "split the flow into smaller flows, or shorten environment values and tags"})
	}
	data, err := pretty(def)
	if err != nil {
		return nil, err
	}
	r := &Result{Name: c.machineName(), Definition: data, Compact: compact, DefinitionSize: len(compact), Warnings: c.warns,
		states: states, start: c.startAt(), stepOf: c.stepOf, graph: g, s: c.s}
	for _, name := range sortedKeys(c.jds) {
		r.JobDefinitions = append(r.JobDefinitions, c.jds[name])
	}
	if r.Schedule, err = c.schedule(r.Name); err != nil {
		return nil, usage.Wrap(err)
	}
	return r, nil
}

// withPlatform returns g with the flow-wide platform (s.Platform) given to
// every step that has none of its own, linted again: the rules of AWS Batch
// depend on the platform (no GPUs on Fargate, Fargate sizes). With no
// flow-wide platform, or EC2, the graph is g itself (a step without a
// platform runs on EC2).
func withPlatform(g *graph.Graph, s Settings) (*graph.Graph, error) {
	switch s.Platform {
	case "", "EC2":
		return g, nil
	case "FARGATE":
	default:
		return nil, usage.Errorf("platform %q is not known; use EC2 or FARGATE (set %s)", s.Platform, how("platform"))
	}
	f := *g.Flow
	f.Steps = make([]*flow.Step, len(g.Flow.Steps))
	for i, st := range g.Flow.Steps {
		cp := *st
		if cp.Options.Batch.Platform == "" {
			cp.Options.Batch.Platform = s.Platform
		}
		f.Steps[i] = &cp
	}
	pg, err := graph.New(&f)
	if err != nil {
		return nil, fmt.Errorf("flow %s cannot run on platform %s (set with %s; a step can choose its own with stepflow.Batch{Platform: \"EC2\"}): %w", f.Name, s.Platform, how("platform"), err)
	}
	return pg, nil
}

// Error is a flow that cannot be compiled, or breaks an AWS limit.
type Error struct {
	Step    string // empty for the whole flow
	Limit   string // the limit or rule, e.g. "container overrides"
	Problem string
	Fix     string
}

func (e *Error) Error() string {
	if e.Step == "" {
		return fmt.Sprintf("%s: %s; %s", e.Limit, e.Problem, e.Fix)
	}
	return fmt.Sprintf("step %s: %s: %s; %s", e.Step, e.Limit, e.Problem, e.Fix)
}

type compiler struct {
	g     *graph.Graph
	f     *flow.Flow
	s     Settings
	part  string
	jds   map[string]*jobdef.JobDefinition // by name
	jdOf  map[string]string                // step -> job definition name
	errs  []error
	warns []string
	// stepOf names the step of each Batch Task and getItem state (Plan).
	stepOf map[string]string
	// mapItems bounds the items of INLINE Maps by name, for the history
	// estimate: a top-level foreach's inline Map (its threshold), a
	// chunk's Map (the chunk size). Others hold up to maxRange.
	mapItems map[string]int
}

func (c *compiler) fail(step, limit, fix, format string, args ...any) {
	c.errs = append(c.errs, &Error{Step: step, Limit: limit, Problem: fmt.Sprintf(format, args...), Fix: fix})
}

// check reports every missing setting and bad setting value.
func (c *compiler) check() error {
	s, f := &c.s, c.f
	var miss []Missing
	need := func(flag, why string, set bool) {
		if !set {
			miss = append(miss, Missing{Flag: flag, Why: why})
		}
	}
	all := func(get func(flow.Batch) string) bool {
		for _, st := range f.Steps {
			if get(st.Options.Batch) == "" {
				return false
			}
		}
		return true
	}
	need("datastore-root", "where tasks keep artifacts, s3://bucket/prefix", s.DatastoreRoot != "")
	need("queue", "the AWS Batch job queue of steps without their own", s.Queue != "" || all(func(b flow.Batch) string { return b.Queue }))
	need("image-repository", "the container repository (ECR) the flow image is pushed to", s.ImageRepository != "" || s.imagesGiven(f))
	need("job-role", "the IAM role tasks use to reach S3 and DynamoDB", s.JobRole != "" || all(func(b flow.Batch) string { return b.JobRole }))
	if c.bookkeeping() {
		need("dynamodb-table", "foreach widths, switch targets and the step cache's lookups are kept in DynamoDB", s.DynamoDBTable != "")
	}
	for _, st := range f.Steps {
		if s.PlatformOf(st.Options.Batch.Platform) == "FARGATE" && st.Options.Batch.ExecutionRole == "" && s.ExecutionRole == "" {
			need("execution-role", fmt.Sprintf("step %s runs on Fargate", st.Name), false)
			break
		}
	}
	if len(miss) > 0 {
		return &MissingError{Flow: f.Name, Missing: miss}
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !strings.HasPrefix(s.DatastoreRoot, "s3://") || len(s.DatastoreRoot) <= len("s3://") {
		bad("datastore root %q is not an S3 URL; AWS Batch tasks need s3://bucket/prefix (set %s)", s.DatastoreRoot, how("datastore-root"))
	}
	switch s.AssignPublicIP {
	case "", "ENABLED", "DISABLED":
	default:
		bad("assign-public-ip %q is not ENABLED or DISABLED (set %s)", s.AssignPublicIP, how("assign-public-ip"))
	}
	if s.TaskTimeout != 0 && (s.TaskTimeout < time.Minute || s.TaskTimeout > maxExecution) {
		bad("task timeout %s is out of range; use 1m to 8760h (set --task-timeout, STEPFLOW_TASK_TIMEOUT or \"task_timeout\" in the config file)", s.TaskTimeout)
	}
	if s.WorkflowTimeout < 0 || s.WorkflowTimeout > maxExecution {
		bad("workflow timeout %s is out of range; use up to 8760h (one year, the longest Standard execution)", s.WorkflowTimeout)
	}
	maxW := 40 * 1000 // generous for inline; AWS caps effective inline concurrency at 40
	if s.DistributedMap {
		maxW = 10000
	}
	if s.MaxWorkers < 0 || s.MaxWorkers > maxW {
		bad("--max-workers %d is out of range; use 1 to %d", s.MaxWorkers, maxW)
	}
	if s.MaxWorkers == 0 {
		s.MaxWorkers = DefaultMaxWorkers
	}
	errs = append(errs, c.checkForeach()...)
	switch c.part {
	case "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b":
	default:
		bad("partition %q is not known; use aws, aws-cn or aws-us-gov", c.part)
	}
	given := s.givenImages()
	for _, what := range sortedKeys(given) {
		if img := given[what]; !strings.Contains(img, "@sha256:") {
			bad("%s %q does not name an image by digest; create builds the flow's own image and pushes it to --image-repository (unset %s), or give the REPOSITORY@sha256:... that 'step-functions image' printed", what, img, How("image"))
		}
	}
	known := map[string]bool{}
	for _, cf := range f.Configs {
		known[cf.Name] = true
		switch h, ok := s.Configs[cf.Name]; {
		case !ok:
			bad("config %s has no frozen value: step-functions create reads it from its file (--config %s=FILE)", cf.Name, cf.Name)
		case !isBlobHash(h):
			bad("config %s: %q is not a blob hash (64 lower-case hex digits)", cf.Name, h)
		}
	}
	for _, name := range sortedKeys(s.Configs) {
		if !known[name] {
			bad("flow %s has no config named %s", f.Name, name)
		}
	}
	files := map[string]bool{}
	for _, p := range f.Params {
		if p.Kind != flow.File || p.Required {
			continue
		}
		files[p.Name] = true
		switch v, ok := s.Files[p.Name]; {
		case !ok:
			bad("file parameter %s has no frozen file: step-functions create stores its default file (--file %s=PATH gives another)", p.Name, p.Name)
		default:
			if _, err := p.Parse(v); err != nil {
				bad("%v", err)
			}
		}
	}
	for _, name := range sortedKeys(s.Files) {
		if !files[name] {
			bad("flow %s has no file parameter named %s with a default", f.Name, name)
		}
	}
	return errors.Join(errs...)
}

// isBlobHash reports whether h is a hex SHA-256, as datastore.BlobHash
// writes it.
func isBlobHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, r := range h {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// configsJSON is the value of STEPFLOW_CONFIGS: the frozen configs as a
// JSON object, keys sorted; "" when the flow has none.
func (c *compiler) configsJSON() string {
	if len(c.s.Configs) == 0 {
		return ""
	}
	b, err := json.Marshal(c.s.Configs) // keys sorted, values plain hex
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return string(b)
}

// bookkeeping reports whether the flow has a foreach or a switch, or a
// step whose cache hits the state machine decides.
func (c *compiler) bookkeeping() bool {
	for _, st := range c.f.Steps {
		if k := st.Transition.Kind; k == flow.Foreach || k == flow.Switch {
			return true
		}
	}
	return c.cached()
}

// ttlSeconds is how long a bookkeeping item must live.
func (c *compiler) ttlSeconds() int64 {
	life := maxExecution
	if c.s.WorkflowTimeout > 0 {
		life = c.s.WorkflowTimeout
	}
	return int64((life + redriveMargin) / time.Second)
}

// jobDefinitions builds the job definition of every step.
func (c *compiler) jobDefinitions() {
	env := []jobdef.KeyValuePair{
		{Name: EnvFlow, Value: c.f.Name},
		{Name: EnvDatastoreRoot, Value: c.s.DatastoreRoot},
	}
	if c.bookkeeping() {
		env = append(env, jobdef.KeyValuePair{Name: EnvDynamoDBTable, Value: c.s.DynamoDBTable},
			jobdef.KeyValuePair{Name: EnvTTLSeconds, Value: strconv.FormatInt(c.ttlSeconds(), 10)})
	}
	if c.s.ProductionToken != "" {
		env = append(env, jobdef.KeyValuePair{Name: EnvProductionToken, Value: c.s.ProductionToken})
	}
	if c.s.Region != "" {
		env = append(env, jobdef.KeyValuePair{Name: "AWS_REGION", Value: c.s.Region},
			jobdef.KeyValuePair{Name: "AWS_DEFAULT_REGION", Value: c.s.Region})
	}
	d := jobdef.Defaults{Flow: c.f.Name, JobRole: c.s.JobRole, ExecutionRole: c.s.ExecutionRole, AssignPublicIP: c.s.AssignPublicIP, Env: env}
	for _, name := range c.g.Order {
		o := c.g.Node(name).Step.Options
		d.Image = c.s.ImageFor(o.Batch.Image)
		jd, warns := jobdef.Build(name, o, d)
		c.warns = append(c.warns, warns...)
		c.jds[jd.JobDefinitionName] = jd
		c.jdOf[name] = jd.JobDefinitionName
	}
}

// machineName is the state machine name.
func (c *compiler) machineName() string { return MachineName(c.f, c.s) }

// MachineName is the state machine name of flow f:
// [prefix_][project-][branch-]Flow, at most 80 characters.
func MachineName(f *flow.Flow, s Settings) string {
	var parts []string
	if f.Project != "" {
		parts = append(parts, f.Project)
	}
	if s.Branch != "" {
		parts = append(parts, sanitize(s.Branch))
	}
	parts = append(parts, f.Name)
	name := strings.Join(parts, "-")
	if p := sanitize(s.NamePrefix); p != "" && !strings.HasPrefix(name, p+"_") {
		name = p + "_" + name
	}
	return shorten(name, MaxName)
}

// MachineScope is what MachineName encodes besides the flow's name: the
// name prefix, the project and the branch, as "prefix=P project=Q
// branch=B" (a valid AWS tag value; at most 256 characters). Two
// deployments can share a name (project "a" without a branch, and branch
// "a" without a project, are both a-Flow) but never a scope: deploy tags
// each state machine with its scope and refuses one of another.
func MachineScope(f *flow.Flow, s Settings) string {
	return shorten("prefix="+sanitize(s.NamePrefix)+" project="+f.Project+" branch="+sanitize(s.Branch), maxTagValue)
}

// maxTagValue is the length limit of an AWS tag value.
const maxTagValue = 256

// ScheduleName is the EventBridge Scheduler schedule name of a state
// machine.
func ScheduleName(machine string) string { return shorten(machine, maxScheduleName) }

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
}

// shorten returns name if it fits in max characters, else its prefix and
// "-" and 12 hex digits of its SHA-256: deterministic and still unique.
func shorten(name string, max int) string {
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	h := hex.EncodeToString(sum[:6])
	return name[:max-len(h)-1] + "-" + h
}

// Names of the helper states. Step names are lower case, so names with an
// upper-case part never clash with a step's state.
const initState = "Init"

func sn(name string) string { return shorten(name, MaxName) }

func helper(step, what string) string { return sn(step + "." + what) }

// The start task's parameters and trigger, as the values of its
// STEPFLOW_PARAMS and STEPFLOW_TRIGGER: the defaults merged with the given
// parameters, and the input's Trigger block (Init.Merge fills in what the
// input lacks).
const (
	paramsValue  = "States.JsonToString(States.JsonMerge($.Defaults, $.Input.Parameters, false))"
	triggerValue = "States.JsonToString($.Input.Trigger)"
)

// init returns the states that start an execution, two Pass states (two
// state transitions): Init puts what an input may lack ({"Parameters": {},
// "Trigger": {"type": "user"}}: an input without a Trigger block, a
// StartExecution not made by Stepflow, was started by a user) beside the
// input, and Init.Merge merges the input over it (States.JsonMerge takes
// paths only, so the literal must be in the payload first: hence two
// states, not one) and creates the payload
// {RunId, TaskId} and the parameters' defaults, which the start Task merges
// with the given ones (paramsValue). A JSONPath to a missing field fails
// the execution, so the merges are what make both fields optional without
// a Choice.
func (c *compiler) init() obj {
	defaults := obj{}
	for _, p := range c.f.Params {
		if p.Kind == flow.File && !p.Required {
			defaults = append(defaults, kv{p.Name, c.s.Files[p.Name]})
			continue
		}
		if p.Required || p.Default == nil {
			continue
		}
		v, err := p.Format(p.Default)
		if err != nil {
			c.fail("", "parameter", "give the parameter a default that encodes", "parameter %s: %v", p.Name, err)
			continue
		}
		defaults = append(defaults, kv{p.Name, v})
	}
	merge := "Init.Merge"
	return obj{
		{initState, obj{{"Type", "Pass"}, {"Parameters", obj{
			{"Missing", obj{{"Parameters", obj{}}, {"Trigger", obj{{"type", trigger.ByUser}}}}},
			{"Input.$", "$"},
		}}, {"Next", merge}}},
		{merge, obj{{"Type", "Pass"}, {"Parameters", obj{
			{"Payload", obj{{"RunId.$", "States.Format('" + RunPrefix + "{}', $$.Execution.Name)"}, {"TaskId", "0"}}},
			{"Defaults", defaults},
			{"Input.$", "States.JsonMerge($.Missing, $.Input, false)"},
		}}, {"Next", sn(c.g.Start)}}},
	}
}

// scope adds to states every state reached from step, stopping at exit
// (the join that closes the enclosing split; "" at the top level).
func (c *compiler) scope(states *obj, start, exit string) {
	seen := map[string]bool{}
	queue := []string{start}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] || name == exit {
			continue
		}
		seen[name] = true
		queue = append(queue, c.node(states, c.g.Node(name), exit)...)
	}
}

// next returns the transition to target: End when it is the scope's exit.
func next(target, exit string) kv {
	if target == exit {
		return kv{"End", true}
	}
	return kv{"Next", sn(target)}
}

// node adds the states of one step and returns the steps to visit next.
func (c *compiler) node(states *obj, n *graph.Node, exit string) []string {
	in := "$"
	if n.Name == c.g.Start {
		in = "$.Payload"
	}
	switch n.Kind {
	case graph.End:
		c.task(states, n, in, c.endNext())
		return nil
	case graph.Linear, graph.Join:
		if cachekey.CloudCached(c.g, n) || cachekey.MapCached(c.g, n) {
			c.cachedTask(states, n, in, next(n.Out[0], exit)) // cache.go
			return n.Out[:1]
		}
		c.task(states, n, in, next(n.Out[0], exit))
		return n.Out[:1]
	case graph.Split:
		par := helper(n.Name, "Branches")
		c.task(states, n, in, kv{"Next", par})
		var branches []any
		for _, b := range n.Out {
			bs := obj{}
			c.scope(&bs, b, n.MatchingJoin)
			branches = append(branches, obj{{"StartAt", sn(b)}, {"States", bs}})
		}
		*states = append(*states, kv{par, obj{{"Type", "Parallel"}, {"Branches", branches}, {"ResultPath", nil}, next(n.MatchingJoin, exit)}})
		return []string{n.MatchingJoin}
	case graph.Foreach:
		c.foreach(states, n, in, exit)
		return []string{n.MatchingJoin}
	case graph.Switch:
		c.switchStep(states, n, in, exit)
		return n.Out
	}
	c.fail(n.Name, "graph", "report this as a bug", "step kind %s cannot be compiled", n.Kind)
	return nil
}

// getItem is a DynamoDB GetItem of the bookkeeping item of a task; its
// ResultSelector sets field to value (a path into the item or an intrinsic).
func (c *compiler) getItem(step, field, value string) obj {
	return obj{
		{"Type", "Task"},
		{"Resource", c.arn("dynamodb:getItem")},
		{"Parameters", obj{
			{"TableName", c.s.DynamoDBTable},
			{"Key", obj{{AttrPathspec, obj{{"S.$", fmt.Sprintf("States.Format('{}/%s/{}', $.RunId, $.TaskId)", step)}}}}},
			{"ConsistentRead", true},
		}},
		{"ResultSelector", obj{{field + ".$", value}}},
		{"ResultPath", "$." + map[string]string{"Width": "Foreach", "Target": "Switch"}[field]},
		{"Retry", []any{obj{{"ErrorEquals", []string{"States.TaskFailed"}}, {"IntervalSeconds", 1}, {"MaxAttempts", 5},
			{"BackoffRate", 2}, {"MaxDelaySeconds", 30}, {"JitterStrategy", "FULL"}}}},
	}
}

func (c *compiler) arn(service string) string {
	return fmt.Sprintf("arn:%s:states:::%s", c.part, service)
}

// The foreach step's states (c.foreach) are built in foreach.go.

// switchStep adds the switch step's Task, the target lookup and the Choice.
func (c *compiler) switchStep(states *obj, n *graph.Node, in, exit string) {
	target, choice, nocase := helper(n.Name, "Target"), helper(n.Name, "Choice"), helper(n.Name, "NoCase")
	c.stepOf[target] = n.Name
	c.task(states, n, in, kv{"Next", target})
	*states = append(*states, kv{target, append(c.getItem(n.Name, "Target", "$.Item."+AttrTarget+".S"), kv{"Next", choice})})
	var rules []any
	for _, t := range n.Out {
		if t == exit {
			c.fail(n.Name, "switch", "put a step between the switch and the join", "case target %s closes the enclosing split", t)
			continue
		}
		rules = append(rules, obj{{"Variable", "$.Switch.Target"}, {"StringEquals", t}, {"Next", sn(t)}})
	}
	*states = append(*states, kv{choice, obj{{"Type", "Choice"}, {"Choices", rules}, {"Default", nocase}}})
	*states = append(*states, kv{nocase, obj{{"Type", "Fail"}, {"Error", "Stepflow.UnknownSwitchTarget"},
		{"Cause", fmt.Sprintf("switch step %s recorded a target that is not one of its cases (%s)", n.Name, strings.Join(n.Out, ", "))}}})
}

// stepRetry is the Retry of a step's Task state: the integration's
// transient errors, and with a retry of the step's own, first the
// never-retried missing permission and last the step's retry.
func stepRetry(o flow.Options) []any {
	transient := transientRetry()
	retry := []any{transient}
	if r := o.Retry; r != nil && r.Times > 0 {
		interval := int64(math.Ceil(r.Delay.Seconds()))
		if interval < 1 {
			interval = 1
		}
		backoff := r.Backoff
		if backoff < 1 {
			backoff = 1
		}
		// A role without a permission is never retried, not even by the
		// step's own retry, whose States.TaskFailed would match it: the
		// error names the permission (docs/iam.md). Batch's own 403
		// reaches Step Functions as Batch.AccessDeniedException. Without
		// a retry of the step's own no retrier matches them, so the
		// never-retry rule is left out: 86 bytes a state (docs/state-machine.md,
		// "Figures").
		retry = []any{obj{{"ErrorEquals", []string{"States.Permissions", "Batch.AccessDeniedException"}}, {"MaxAttempts", 0}},
			transient, obj{{"ErrorEquals", []string{"States.TaskFailed", "States.Timeout"}}, {"IntervalSeconds", interval},
				{"MaxAttempts", r.Times}, {"BackoffRate", backoff}}}
	}
	return retry
}

// transientRetry is the retrier of the AWS Batch integration's transient
// errors: 2 s, x2, at most 60 s, 10 attempts, full jitter.
func transientRetry() obj {
	return obj{{"ErrorEquals", TransientErrors}, {"IntervalSeconds", 2}, {"MaxAttempts", 10},
		{"BackoffRate", 2}, {"MaxDelaySeconds", 60}, {"JitterStrategy", "FULL"}}
}

// task adds the Task state of a step (and its catch handler).
func (c *compiler) task(states *obj, n *graph.Node, in string, nxt kv) {
	o := n.Step.Options
	attempt := "States.Format('{}', $$.State.RetryCount)"
	t := c.submit(n, in, attempt, "")
	c.stepOf[sn(n.Name)] = n.Name
	transient := transientRetry()
	retry := stepRetry(o)
	t = append(t, kv{"Retry", retry})
	if o.Catch != "" {
		caught := helper(n.Name, "Caught")
		denied := helper(n.Name, "AccessDenied")
		c.stepOf[caught] = n.Name
		t = append(t, kv{"Catch", []any{
			obj{{"ErrorEquals", []string{"States.Permissions"}}, {"ResultPath", in + ".Caught"}, {"Next", denied}},
			obj{{"ErrorEquals", []string{"States.ALL"}}, {"ResultPath", in + ".Caught"}, {"Next", caught}},
		}})
		t = append(t, nxt)
		*states = append(*states, kv{sn(n.Name), t})
		times := 0
		if o.Retry != nil {
			times = o.Retry.Times
		}
		h := c.submit(n, in, strconv.Itoa(times+1), in+".Caught.Error")
		h = append(h, kv{"Retry", []any{transient}}, nxt)
		*states = append(*states, kv{caught, h})
		*states = append(*states, kv{denied, obj{{"Type", "Fail"}, {"Error", "Stepflow.AccessDenied"},
			{"Cause", fmt.Sprintf("step %s: the state machine's role lacks a permission (the failed Task event names it); grant it as docs/iam.md says, then resume the run", n.Name)}}})
		return
	}
	t = append(t, nxt)
	*states = append(*states, kv{sn(n.Name), t})
}

// submit returns the Task state of one step up to (not including) Retry:
// the SubmitJob call, its timeout and the output handling. attempt is a
// literal attempt number, or the intrinsic that formats the retry count;
// caught is the path of the caught error, for a catch handler.
func (c *compiler) submit(n *graph.Node, in, attempt, caught string) obj {
	o := n.Step.Options
	env := []any{
		obj{{"Name", EnvRunID}, {"Value.$", in + ".RunId"}},
		obj{{"Name", EnvStep}, {"Value", n.Name}},
		obj{{"Name", EnvTaskID}, {"Value.$", in + ".TaskId"}},
	}
	if strings.HasPrefix(attempt, "States.") {
		env = append(env, obj{{"Name", EnvAttempt}, {"Value.$", attempt}})
	} else {
		env = append(env, obj{{"Name", EnvAttempt}, {"Value", attempt}})
	}
	if n.Name == c.g.Start {
		env = append(env, obj{{"Name", EnvParams}, {"Value.$", paramsValue}})
		if cfg := c.configsJSON(); cfg != "" {
			env = append(env, obj{{"Name", EnvConfigs}, {"Value", cfg}})
		}
		env = append(env, obj{{"Name", EnvTrigger}, {"Value.$", triggerValue}})
	}
	if caught != "" {
		env = append(env, obj{{"Name", EnvCaught}, {"Value.$", caught}})
	}
	if n.Kind == graph.Foreach && c.inlineOnly(n) {
		env = append(env, obj{{"Name", EnvForeachLimit}, {"Value", strconv.Itoa(maxRange)}})
	}
	for _, k := range sortedKeys(o.Env) {
		// User values are always literal ("Value"), even when they look
		// like a JSONPath.
		env = append(env, obj{{"Name", k}, {"Value", o.Env[k]}})
	}
	queue := o.Batch.Queue
	if queue == "" {
		queue = c.s.Queue
	}
	tags := obj{{"stepflow:flow", c.f.Name}, {"stepflow:step", n.Name}, {"stepflow:run.$", in + ".RunId"}}
	for _, k := range sortedKeys(o.Batch.Tags) {
		tags = append(tags, kv{k, o.Batch.Tags[k]})
	}
	params := obj{
		{"JobName", shorten(c.f.Name+"-"+n.Name, 128)},
		{"JobQueue", queue},
		{"JobDefinition", c.jdOf[n.Name]},
		{"ContainerOverrides", obj{{"Environment", env}}},
	}
	var timeout int64
	stateTimeout := int64(c.s.taskTimeout() / time.Second)
	if o.Timeout > 0 {
		timeout = int64(math.Ceil(o.Timeout.Seconds()))
		if timeout < MinAttemptDuration {
			timeout = MinAttemptDuration
		}
		params = append(params, kv{"Timeout", obj{{"AttemptDurationSeconds", timeout}}})
		stateTimeout = timeout + int64(QueueAllowance/time.Second)
	}
	params = append(params, kv{"Tags", tags})
	c.limits(n, params, o.Batch.Tags, caught != "")
	t := obj{{"Type", "Task"}, {"Resource", c.arn("batch:submitJob.sync")}, {"Parameters", params}}
	if stateTimeout > 0 {
		t = append(t, kv{"TimeoutSeconds", stateTimeout})
	}
	if caught != "" {
		// Keep the handler's job id where the error was, so the payload
		// stays small and constant.
		t = append(t, kv{"ResultSelector", obj{{"JobId.$", "$.JobId"}}}, kv{"ResultPath", caught[:len(caught)-len(".Error")]})
	} else {
		t = append(t, kv{"ResultPath", nil})
	}
	if in != "$" {
		t = append(t, kv{"OutputPath", in})
	}
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
