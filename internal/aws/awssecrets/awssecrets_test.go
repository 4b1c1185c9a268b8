package awssecrets_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/stepflow/stepflow/internal/aws/awssecrets"
	"github.com/stepflow/stepflow/internal/aws/motoproc"
	"github.com/stepflow/stepflow/internal/flow"
)

var testCreds = credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")

// smClient is a Secrets Manager client of moto.
func smClient(s *motoproc.Server) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: motoproc.Region, BaseEndpoint: aws.String(s.URL), Credentials: testCreds})
}

// createSecret creates a secret in moto and returns its full ARN.
func createSecret(t *testing.T, s *motoproc.Server, name string, in secretsmanager.CreateSecretInput) string {
	t.Helper()
	in.Name = aws.String(name)
	out, err := smClient(s).CreateSecret(context.Background(), &in)
	if err != nil {
		t.Fatal(err)
	}
	return *out.ARN
}

// manager is the task's secret source, pointed at moto.
func manager(s *motoproc.Server) *awssecrets.Manager {
	return &awssecrets.Manager{
		Getenv:  func(k string) string { return map[string]string{awssecrets.EnvEndpoint: s.URL}[k] },
		Options: []func(*secretsmanager.Options){func(o *secretsmanager.Options) { o.Credentials = testCreds }},
	}
}

// A task gets each secret's value from Secrets Manager, by its full ARN or
// the partial one without AWS's suffix, as a string or binary secret.
func TestManagerFetches(t *testing.T) {
	s := sharedMoto(t)
	full := createSecret(t, s, "fetch/db", secretsmanager.CreateSecretInput{SecretString: aws.String("db-password")})
	createSecret(t, s, "fetch/key", secretsmanager.CreateSecretInput{SecretBinary: []byte("binary\x00key")})
	if !awssecrets.IsFull(full) {
		t.Fatalf("moto's ARN %s has no suffix", full)
	}
	partial := "arn:aws:secretsmanager:us-east-1:123456789012:secret:fetch/key"
	got, err := manager(s).Secrets(context.Background(), []flow.Secret{{Name: "db", ARN: full}, {Name: "key", ARN: partial}})
	if err != nil {
		t.Fatal(err)
	}
	if got["db"] != "db-password" || got["key"] != "binary\x00key" {
		t.Errorf("got %q", got)
	}
}

// A secret that does not exist fails with its name, its ARN and the fix.
func TestManagerMissing(t *testing.T) {
	s := sharedMoto(t)
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/none"
	_, err := manager(s).Secrets(context.Background(), []flow.Secret{{Name: "none", ARN: arn}})
	if err == nil || !strings.Contains(err.Error(), "secret none ("+arn+"): get it from AWS Secrets Manager: no such secret in region us-east-1; create it or correct the ARN") {
		t.Errorf("error %v", err)
	}
	_, err = manager(s).Secrets(context.Background(), []flow.Secret{{Name: "bad", ARN: "prod/db"}})
	if err == nil || !strings.Contains(err.Error(), `"prod/db" is not the ARN of an AWS Secrets Manager secret`) {
		t.Errorf("error %v", err)
	}
}

// The statement a job role needs: the ARN as given and, for a partial
// ARN, its full forms.
func TestStatement(t *testing.T) {
	full := "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-GmGfTf"
	partial := "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api"
	got := awssecrets.Statement([]string{full, partial, full})
	want := `{"Action":"secretsmanager:GetSecretValue","Effect":"Allow","Resource":["` + full + `","` + partial + `","` + partial + `-??????"]}`
	if got != want {
		t.Errorf("Statement =\n%s\nwant\n%s", got, want)
	}
	if got := awssecrets.Statement([]string{full}); got != `{"Action":"secretsmanager:GetSecretValue","Effect":"Allow","Resource":"`+full+`"}` {
		t.Errorf("Statement of one = %s", got)
	}
}

// A secret given by a Parameter Store parameter's ARN is GetParameter of
// it, decrypted: a SecureString's plain text, a String's value, a
// parameter at the top level or in a hierarchy, beside a Secrets Manager
// secret of the same step. One that does not exist fails with its name,
// its ARN and the fix.
func TestManagerParameters(t *testing.T) {
	s := sharedMoto(t)
	ps := ssm.New(ssm.Options{Region: motoproc.Region, BaseEndpoint: aws.String(s.URL), Credentials: testCreds})
	for name, p := range map[string]ssmtypes.ParameterType{"/prod/db/password": ssmtypes.ParameterTypeSecureString, "api_key": ssmtypes.ParameterTypeString} {
		if _, err := ps.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("value of " + name), Type: p}); err != nil {
			t.Fatal(err)
		}
	}
	// The SecureString is stored encrypted: without decryption it is not
	// its value.
	raw, err := ps.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/prod/db/password")})
	if err != nil || aws.ToString(raw.Parameter.Value) == "value of /prod/db/password" {
		t.Fatalf("moto's SecureString without decryption: %v %v", raw, err)
	}
	secret := createSecret(t, s, "prod/other", secretsmanager.CreateSecretInput{SecretString: aws.String("other")})
	const base = "arn:aws:ssm:us-east-1:123456789012:parameter/"
	m := &awssecrets.Manager{
		Getenv: func(k string) string {
			return map[string]string{awssecrets.EnvEndpoint: s.URL, awssecrets.EnvParameterEndpoint: s.URL}[k]
		},
		Options:          []func(*secretsmanager.Options){func(o *secretsmanager.Options) { o.Credentials = testCreds }},
		ParameterOptions: []func(*ssm.Options){func(o *ssm.Options) { o.Credentials = testCreds }},
	}
	got, err := m.Secrets(context.Background(), []flow.Secret{{Name: "db", ARN: base + "prod/db/password"}, {Name: "key", ARN: base + "api_key"}, {Name: "other", ARN: secret}})
	if err != nil {
		t.Fatal(err)
	}
	if got["db"] != "value of /prod/db/password" || got["key"] != "value of api_key" || got["other"] != "other" {
		t.Errorf("got %q", got)
	}
	arn := base + "prod/none"
	_, err = m.Secrets(context.Background(), []flow.Secret{{Name: "none", ARN: arn}})
	if err == nil || !strings.Contains(err.Error(), "secret none ("+arn+"): get it from AWS Systems Manager Parameter Store: no such parameter in region us-east-1; create it or correct the ARN") {
		t.Errorf("error %v", err)
	}
}

// The statement for secrets of both kinds: GetSecretValue on the secrets,
// GetParameter on the parameters, two statements.
func TestStatementBoth(t *testing.T) {
	const sec, par = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db", "arn:aws:ssm:us-east-1:123456789012:parameter/prod/key"
	want := `[{"Action":"secretsmanager:GetSecretValue","Effect":"Allow","Resource":["` + sec + `","` + sec + `-??????"]},{"Action":"ssm:GetParameter","Effect":"Allow","Resource":"` + par + `"}]`
	if got := awssecrets.Statement([]string{par, sec, par}); got != want {
		t.Errorf("Statement = %s\nwant %s", got, want)
	}
	if got := awssecrets.Sources([]string{par}); got != "AWS Systems Manager Parameter Store" {
		t.Errorf("Sources = %q", got)
	}
}
