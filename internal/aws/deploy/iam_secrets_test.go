package deploy_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

type secretState struct{}

func secretStep(*secretState, *stepflow.Context) error { return nil }

// The IAM coverage of secrets: a task reads each secret of its step with
// secretsmanager:GetSecretValue, which AWS authorizes on the secret's full
// ARN (its name and AWS's six-character suffix, whatever ARN the flow
// gives). The template's job role does not grant it; the statement create
// prints for the role grants it, on these secrets only.
func TestIAMSecrets(t *testing.T) {
	const (
		partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db"
		full    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-Xy12Zw"
		role    = "arn:aws:iam::123456789012:role/stepflow-task"
		gpuRole = "arn:aws:iam::123456789012:role/gpu-task"
	)
	def := flow.MustDefinitionOf(stepflow.New[secretState]("SecretFlow").
		Secrets("api", full).
		Step("start", secretStep, stepflow.Next("train")).
		Step("train", secretStep, stepflow.Next("end"), stepflow.Secrets("db", partial), stepflow.Batch{JobRole: gpuRole}).
		Step("end", secretStep))
	g, err := graph.New(def)
	if err != nil {
		t.Fatal(err)
	}
	notes := deploy.SecretNotes(g, statemachine.Settings{JobRole: role})
	if len(notes) != 2 || !strings.Contains(notes[0], "steps start, end read secrets api from AWS Secrets Manager when they start, with job role "+role) ||
		!strings.Contains(notes[1], "steps train read secrets api, db from AWS Secrets Manager when they start, with job role "+gpuRole) {
		t.Fatalf("notes:\n%s", strings.Join(notes, "\n"))
	}
	statement := func(note string) []any {
		_, js, _ := strings.Cut(note, "or they fail: ")
		var st map[string]any
		if err := json.Unmarshal([]byte(js), &st); err != nil {
			t.Fatalf("note %q: its statement: %v", note, err)
		}
		return []any{st}
	}
	jobRole := templatePolicies(t)["BatchJobRole"]
	for _, tc := range []struct {
		note   string
		secret string // the secret's name with AWS's suffix: what AWS authorizes on
		want   bool
	}{
		{notes[0], "prod/api-Xy12Zw", true},
		{notes[0], "prod/db-Ab12Cd", false}, // start and end do not read db
		{notes[1], "prod/api-Xy12Zw", true},
		{notes[1], "prod/db-Ab12Cd", true},
		{notes[1], "prod/dbx-Ab12Cd", false},  // another secret
		{notes[1], "prod/db-Ab12Cd-x", false}, // another secret
	} {
		c := call{action: "secretsmanager:GetSecretValue", ids: map[string]string{"SecretId": tc.secret}}
		missing := authorize(statement(tc.note), c, nil)
		if got := len(missing) == 0; got != tc.want {
			t.Errorf("the statement of %q allows %s: %v, want %v", tc.note, c, got, tc.want)
		}
		if len(authorize(jobRole, c, nil)) == 0 {
			t.Errorf("the template's job role allows %s: the statement would not be needed, and the role reads every secret", c)
		}
	}
}

// A secret in another account than its job role's needs more than the
// role's statement: create says so.
func TestSecretNotesOtherAccount(t *testing.T) {
	other := "arn:aws:secretsmanager:us-east-1:210987654321:secret:shared/db"
	def := flow.MustDefinitionOf(stepflow.New[secretState]("SecretFlow").
		Step("start", secretStep, stepflow.Next("end"), stepflow.Secrets("db", other)).
		Step("end", secretStep))
	g, err := graph.New(def)
	if err != nil {
		t.Fatal(err)
	}
	notes := deploy.SecretNotes(g, statemachine.Settings{JobRole: "arn:aws:iam::123456789012:role/stepflow-task"})
	if len(notes) != 2 || !strings.Contains(notes[1], "secret "+other+" is in account 210987654321, job role arn:aws:iam::123456789012:role/stepflow-task in account 123456789012") {
		t.Errorf("notes:\n%s", strings.Join(notes, "\n"))
	}
}

// create prints, after deploying, the statement the job role needs for
// the flow's secrets.
func TestCreatePrintsSecretsStatement(t *testing.T) {
	e := setup(t, false)
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db"
	g, err := graph.New(flow.MustDefinitionOf(stepflow.New[testFlow]("TestFlow").
		Param("name", "world", "who").
		Step("start", (*testFlow).step, stepflow.Next("end"), stepflow.Secrets("db", arn)).
		Step("end", (*testFlow).step)))
	if err != nil {
		t.Fatal(err)
	}
	e.opts.Graph = g
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	want := `secrets: steps start read secrets db from AWS Secrets Manager when they start, with job role arn:aws:iam::123456789012:role/job; add this statement to its policy (docs/iam.md, "Secrets"), or they fail: {"Action":"secretsmanager:GetSecretValue","Effect":"Allow","Resource":["` + arn + `","` + arn + `-??????"]}` + "\n"
	if !strings.Contains(e.out.String(), want) {
		t.Errorf("create's output lacks\n%s\n%s", want, e.out)
	}
}

// The IAM coverage of Parameter Store secrets: a task reads a parameter
// with ssm:GetParameter, authorized on the parameter's ARN (its name
// without the leading slash). The statement create prints grants it on
// these parameters only, beside GetSecretValue on the step's secrets, and
// the template's job role grants neither.
func TestIAMParameters(t *testing.T) {
	const (
		param  = "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password"
		secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-Xy12Zw"
		role   = "arn:aws:iam::123456789012:role/stepflow-task"
	)
	def := flow.MustDefinitionOf(stepflow.New[secretState]("SecretFlow").
		Step("start", secretStep, stepflow.Next("end"), stepflow.Secrets("db", param), stepflow.Secrets("api", secret)).
		Step("end", secretStep))
	g, err := graph.New(def)
	if err != nil {
		t.Fatal(err)
	}
	notes := deploy.SecretNotes(g, statemachine.Settings{JobRole: role})
	if len(notes) != 1 || !strings.Contains(notes[0], "steps start read secrets db, api from AWS Secrets Manager and AWS Systems Manager Parameter Store when they start, with job role "+role) {
		t.Fatalf("notes:\n%s", strings.Join(notes, "\n"))
	}
	_, js, _ := strings.Cut(notes[0], "or they fail: ")
	var stmts []any
	if err := json.Unmarshal([]byte(js), &stmts); err != nil || len(stmts) != 2 {
		t.Fatalf("the statements %s: %v", js, err)
	}
	jobRole := templatePolicies(t)["BatchJobRole"]
	for _, tc := range []struct {
		c    call
		want bool
	}{
		{call{action: "ssm:GetParameter", ids: map[string]string{"ParameterNameWithoutLeadingSlash": "prod/db/password"}}, true},
		{call{action: "ssm:GetParameter", ids: map[string]string{"ParameterNameWithoutLeadingSlash": "prod/db/password2"}}, false},
		{call{action: "ssm:GetParameter", ids: map[string]string{"ParameterNameWithoutLeadingSlash": "prod/db"}}, false},
		{call{action: "secretsmanager:GetSecretValue", ids: map[string]string{"SecretId": "prod/api-Xy12Zw"}}, true},
	} {
		if got := len(authorize(stmts, tc.c, nil)) == 0; got != tc.want {
			t.Errorf("the statements allow %s: %v, want %v", tc.c, got, tc.want)
		}
		if len(authorize(jobRole, tc.c, nil)) == 0 {
			t.Errorf("the template's job role allows %s", tc.c)
		}
	}
}
