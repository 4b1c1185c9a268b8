package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	batchsdk "github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/graph"
)

// checkQueues reads the job queues the steps submit to and their compute
// environments (DescribeJobQueues, DescribeComputeEnvironments) and refuses,
// before anything is written, a step whose platform (EC2 or FARGATE) no
// compute environment of its queue runs: AWS Batch would refuse its jobs, or
// leave them RUNNABLE for ever. It returns warnings for the steps whose queue
// is not the deployment's own (--queue): the Step Functions role of the
// CloudFormation template may submit to that one only, so each warning
// gives the policy statement to add (docs/iam.md).
func checkQueues(ctx context.Context, c *Clients, g *graph.Graph, s statemachine.Settings) (warnings []string, archs QueueArchs, err error) {
	type use struct {
		step, platform string
		own            bool // the step chose its platform
	}
	uses := map[string][]use{} // queue -> steps
	for _, st := range g.Flow.Steps {
		q := st.Options.Batch.Queue
		if q == "" {
			q = s.Queue
		}
		uses[q] = append(uses[q], use{st.Name, s.PlatformOf(st.Options.Batch.Platform), st.Options.Batch.Platform != ""})
	}
	names := make([]string, 0, len(uses))
	for q := range uses {
		names = append(names, q)
	}
	sort.Strings(names)
	qout, err := c.Batch.DescribeJobQueues(ctx, &batchsdk.DescribeJobQueuesInput{JobQueues: names})
	if err != nil {
		return nil, nil, awsErr("read the job queues (batch:DescribeJobQueues)", err)
	}
	queues := map[string]batchtypes.JobQueueDetail{}
	var ces []string
	for _, q := range qout.JobQueues {
		queues[deref(q.JobQueueName)] = q
		queues[deref(q.JobQueueArn)] = q
		for _, o := range q.ComputeEnvironmentOrder {
			ces = append(ces, deref(o.ComputeEnvironment))
		}
	}
	platforms := map[string]string{} // compute environment name and ARN -> EC2, FARGATE or EKS
	details := map[string]batchtypes.ComputeEnvironmentDetail{}
	archs = QueueArchs{}
	if len(ces) > 0 {
		cout, err := c.Batch.DescribeComputeEnvironments(ctx, &batchsdk.DescribeComputeEnvironmentsInput{ComputeEnvironments: ces})
		if err != nil {
			return nil, nil, awsErr("read the compute environments (batch:DescribeComputeEnvironments)", err)
		}
		for _, ce := range cout.ComputeEnvironments {
			p := "EC2" // unmanaged compute environments are EC2 instances
			if ce.ComputeResources != nil && strings.HasPrefix(string(ce.ComputeResources.Type), "FARGATE") {
				p = "FARGATE"
			}
			if ce.ContainerOrchestrationType == batchtypes.OrchestrationTypeEks {
				p = "EKS"
			}
			platforms[deref(ce.ComputeEnvironmentName)] = p
			platforms[deref(ce.ComputeEnvironmentArn)] = p
			details[deref(ce.ComputeEnvironmentName)] = ce
			details[deref(ce.ComputeEnvironmentArn)] = ce
		}
	}
	var problems []string
	for _, name := range names {
		q, ok := queues[name]
		if !ok {
			var steps []string
			for _, u := range uses[name] {
				steps = append(steps, u.step)
			}
			problem := fmt.Sprintf("job queue %s (steps %s) does not exist in %s; create it (deploy/cloudformation/stepflow.yaml) or set the queue with %s",
				name, strings.Join(steps, ", "), c.Region, statemachine.How("queue"))
			if name == s.Queue {
				problem += retainedNote
			}
			problems = append(problems, problem)
			continue
		}
		runs := map[string]bool{}
		var kinds []string
		for _, o := range q.ComputeEnvironmentOrder {
			if ce, ok := details[deref(o.ComputeEnvironment)]; ok {
				archs.addCE(name, ce)
			}
			if p := platforms[deref(o.ComputeEnvironment)]; p != "" && !runs[p] {
				runs[p] = true
				kinds = append(kinds, p)
			}
		}
		for _, u := range uses[name] {
			if runs[u.platform] {
				continue
			}
			fix := fmt.Sprintf("give the step a queue with a %s compute environment (stepflow.Batch{Queue: ...}) or another platform (stepflow.Batch{Platform: ...})", u.platform)
			if !u.own {
				fix = fmt.Sprintf("set the flow's platform to one the queue runs with %s, or use a queue with a %s compute environment (%s)", statemachine.How("platform"), u.platform, statemachine.How("queue"))
			}
			problems = append(problems, fmt.Sprintf("step %s runs on %s, but its job queue %s runs %s only; %s",
				u.step, u.platform, name, orNone(kinds), fix))
		}
		if own, ok := queues[s.Queue]; !ok || deref(own.JobQueueArn) != deref(q.JobQueueArn) {
			stmt := QueueStatement(deref(q.JobQueueArn))
			var steps []string
			for _, u := range uses[name] {
				steps = append(steps, u.step)
			}
			warnings = append(warnings, fmt.Sprintf("step %s submits to job queue %s, which the Step Functions role of deploy/cloudformation/stepflow.yaml may not use; add this statement to its policy (docs/iam.md, \"Per-step queues\"): %s",
				strings.Join(steps, ", "), name, stmt))
		}
	}
	if len(problems) > 0 {
		return nil, nil, userf("flow %s cannot be deployed: %d step(s) cannot run on their job queue:\n  %s", g.Flow.Name, len(problems), strings.Join(problems, "\n  "))
	}
	return warnings, archs, nil
}

// retainedNote follows a missing deployment queue, the usual sign of a
// deleted stack: what the stack kept, and what it blocks.
const retainedNote = "; if the stack that made it was deleted, it kept its bookkeeping table (<Prefix>-bookkeeping) and log group (/<Prefix>/step-functions), " +
	"and a new stack with the same Prefix fails on them (\"already exists\"): delete them or choose another Prefix (docs/deploy.md, \"Deleting the stack; retained resources\")"

// QueueStatement is the IAM policy statement (JSON) that lets a state
// machine's role submit jobs to the job queue queueArn.
func QueueStatement(queueArn string) string {
	stmt, _ := json.Marshal(map[string]any{"Effect": "Allow", "Action": "batch:SubmitJob", "Resource": queueArn})
	return string(stmt)
}

func orNone(kinds []string) string {
	if len(kinds) == 0 {
		return "no platform (no valid compute environment)"
	}
	return strings.Join(kinds, " and ")
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
