package deploy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stepflow/stepflow/internal/aws/awssecrets"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/graph"
)

// SecretNotes says, for each job role whose tasks read secrets
// (stepflow.Secrets), which steps read which secrets and the IAM statement
// to add to that role's policy: secretsmanager:GetSecretValue on the
// declared secrets' ARNs, ssm:GetParameter on the parameters' (docs/iam.md,
// "Secrets"). The template's job role does
// not grant it: which secrets a flow reads is the flow's to say. create
// prints them; a task whose role lacks the statement fails when it
// starts, with the same statement in its error.
func SecretNotes(g *graph.Graph, s statemachine.Settings) []string {
	type use struct {
		steps, names, arns []string
	}
	var roles []string
	uses := map[string]*use{}
	for _, name := range g.Order {
		step := g.Nodes[name].Step
		secrets := g.Flow.SecretsOf(step)
		if len(secrets) == 0 {
			continue
		}
		role := step.Options.Batch.JobRole
		if role == "" {
			role = s.JobRole
		}
		u := uses[role]
		if u == nil {
			u = &use{}
			uses[role] = u
			roles = append(roles, role)
		}
		u.steps = append(u.steps, name)
		for _, sec := range secrets {
			if !slices.Contains(u.names, sec.Name) {
				u.names = append(u.names, sec.Name)
			}
			if !slices.Contains(u.arns, sec.ARN) {
				u.arns = append(u.arns, sec.ARN)
			}
		}
	}
	var notes []string
	for _, role := range roles {
		u := uses[role]
		notes = append(notes, fmt.Sprintf("steps %s read secrets %s from %s when they start, with job role %s; add this statement to its policy (docs/iam.md, \"Secrets\"), or they fail: %s",
			strings.Join(u.steps, ", "), strings.Join(u.names, ", "), awssecrets.Sources(u.arns), role, awssecrets.Statement(u.arns)))
		for _, arn := range u.arns {
			if a, r := arnAccount(arn), arnAccount(role); a != "" && r != "" && a != r {
				notes = append(notes, fmt.Sprintf("secret %s is in account %s, job role %s in account %s: the role's statement is not enough; give the secret a resource policy that lets the role read it (and the role kms:Decrypt on its key)",
					arn, a, role, r))
			}
		}
	}
	return notes
}

// arnAccount returns the account of an ARN (its fifth field), or "".
func arnAccount(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 || p[0] != "arn" {
		return ""
	}
	return p[4]
}
