// The AWS Batch service of the fake: job definitions, job queues and
// compute environments, and the jobs executions ran.

package awstest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/batch"
)

// JobDef is one revision of a job definition.
type JobDef struct {
	Name, Arn, Status string
	Revision          int
	Input             *batch.RegisterJobDefinitionInput
}

// Job is a Batch job a fake execution ran. An array job has an ArraySize
// and its children's statuses (StatusSummary: status -> count), which
// DescribeJobs answers as its ArrayProperties.
type Job struct {
	ID, Name, Status, LogStream string
	ArraySize                   int
	StatusSummary               map[string]int
}

// AddQueue adds a job queue with one compute environment per type given
// (EC2, SPOT, FARGATE or FARGATE_SPOT), named <queue>-<i> (from 1).
// DescribeJobQueues answers only the queues added, as AWS answers only those
// that exist.
func (f *Fake) AddQueue(name string, computeTypes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queues[name] = computeTypes
}

func queueArn(name string) string {
	return fmt.Sprintf("arn:aws:batch:%s:%s:job-queue/%s", Region, Account, name)
}

func computeEnvArn(name string) string {
	return fmt.Sprintf("arn:aws:batch:%s:%s:compute-environment/%s", Region, Account, name)
}

// JobDefinitions returns the names of the registered job definitions.
func (f *Fake) JobDefinitions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.jobDefs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// JobDefinitionInput returns the registration of the latest revision of a
// job definition, or nil.
func (f *Fake) JobDefinitionInput(name string) *batch.RegisterJobDefinitionInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	revs := f.jobDefs[name]
	if len(revs) == 0 {
		return nil
	}
	return revs[len(revs)-1].Input
}

func (f *Fake) describeJobDefinitions(in any, _ *restArgs) (any, error) {
	req := in.(*batch.DescribeJobDefinitionsInput)
	var out []m
	for _, jd := range f.jobDefs[str(req.JobDefinitionName)] {
		if str(req.Status) != "" && jd.Status != str(req.Status) {
			continue
		}
		out = append(out, m{"jobDefinitionName": jd.Name, "jobDefinitionArn": jd.Arn, "revision": jd.Revision, "status": jd.Status, "type": "container"})
	}
	return m{"jobDefinitions": out}, nil
}

func (f *Fake) registerJobDefinition(in any, _ *restArgs) (any, error) {
	req := in.(*batch.RegisterJobDefinitionInput)
	name := str(req.JobDefinitionName)
	if name == "" || req.Type == "" {
		return nil, errf(400, "ClientException", "jobDefinitionName and type are required")
	}
	if req.ContainerProperties == nil || str(req.ContainerProperties.Image) == "" {
		return nil, errf(400, "ClientException", "containerProperties.image is required")
	}
	rev := len(f.jobDefs[name]) + 1
	jd := &JobDef{Name: name, Revision: rev, Status: "ACTIVE", Input: req,
		Arn: fmt.Sprintf("arn:aws:batch:%s:%s:job-definition/%s:%d", Region, Account, name, rev)}
	f.jobDefs[name] = append(f.jobDefs[name], jd)
	return m{"jobDefinitionName": name, "jobDefinitionArn": jd.Arn, "revision": rev}, nil
}

func (f *Fake) describeJobs(in any, _ *restArgs) (any, error) {
	var out []m
	for _, id := range in.(*batch.DescribeJobsInput).Jobs {
		if j, ok := f.jobs[id]; ok {
			d := m{"jobId": j.ID, "jobName": j.Name, "jobQueue": "queue", "status": j.Status, "jobDefinition": "def",
				"startedAt": Epoch.UnixMilli(), "container": m{"logStreamName": j.LogStream}}
			if j.ArraySize > 0 {
				d["arrayProperties"] = m{"size": j.ArraySize, "statusSummary": j.StatusSummary}
			}
			out = append(out, d)
		}
	}
	return m{"jobs": out}, nil
}

func (f *Fake) describeJobQueues(in any, _ *restArgs) (any, error) {
	out := []m{}
	for _, q := range in.(*batch.DescribeJobQueuesInput).JobQueues {
		name := strings.TrimPrefix(q, queueArn(""))
		types, ok := f.queues[name]
		if !ok {
			continue
		}
		order := []m{}
		for i := range types {
			order = append(order, m{"order": i + 1, "computeEnvironment": computeEnvArn(fmt.Sprintf("%s-%d", name, i+1))})
		}
		out = append(out, m{"jobQueueName": name, "jobQueueArn": queueArn(name), "state": "ENABLED", "status": "VALID", "priority": 1,
			"computeEnvironmentOrder": order})
	}
	return m{"jobQueues": out}, nil
}

func (f *Fake) describeComputeEnvironments(in any, _ *restArgs) (any, error) {
	out := []m{}
	for _, ce := range in.(*batch.DescribeComputeEnvironmentsInput).ComputeEnvironments {
		name := strings.TrimPrefix(ce, computeEnvArn(""))
		i := strings.LastIndexByte(name, '-')
		if i < 0 {
			continue
		}
		n, err := strconv.Atoi(name[i+1:])
		types := f.queues[name[:i]]
		if err != nil || n < 1 || n > len(types) {
			continue
		}
		out = append(out, m{"computeEnvironmentName": name, "computeEnvironmentArn": computeEnvArn(name), "type": "MANAGED",
			"state": "ENABLED", "status": "VALID", "computeResources": m{"type": types[n-1], "maxvCpus": 256, "subnets": []string{"subnet-1"}}})
	}
	return m{"computeEnvironments": out}, nil
}
