package stepflowtest_test

import (
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/stepflowtest"
)

type secretFlow struct{ Length int }

func secretDef() *stepflow.Flow[secretFlow] {
	return stepflow.New[secretFlow]("SecretTestFlow").
		Step("start", func(f *secretFlow, c *stepflow.Context) error {
			v, err := c.Secret("db")
			f.Length = len(v)
			return err
		}, stepflow.Next("end"), stepflow.Secrets("db", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db")).
		Step("end", func(*secretFlow, *stepflow.Context) error { return nil })
}

// A test run reads a secret from stepflowtest.Secrets, else from the
// environment as a local run does.
func TestRunSecrets(t *testing.T) {
	if got := stepflowtest.Run(t, secretDef(), stepflowtest.Secrets{"db": "four"}).End().Length; got != 4 {
		t.Errorf("Length = %d from Secrets, want 4", got)
	}
	t.Setenv("STEPFLOW_SECRET_DB", "seven!!")
	if got := stepflowtest.Run(t, secretDef()).End().Length; got != 7 {
		t.Errorf("Length = %d from the environment, want 7", got)
	}
	msg := fatal(t, func(tb testing.TB) { stepflowtest.Run(tb, secretDef(), stepflowtest.Secrets{"other": "x"}) })
	if !strings.Contains(msg, `secret db (arn:aws:secretsmanager:us-east-1:123456789012:secret:db): the test gives no value for it; add it to the run's options: stepflowtest.Secrets{"db": VALUE}`) {
		t.Errorf("message: %s", msg)
	}
}

// A unit test's Context has the secrets given with stepflowtest.Secret,
// and says how to give one it lacks.
func TestContextSecret(t *testing.T) {
	c := stepflowtest.Context(t, stepflowtest.Secret("db", "pw"))
	if v, err := c.Secret("db"); v != "pw" || err != nil {
		t.Errorf("Secret(db) = %q, %v", v, err)
	}
	if _, err := c.Secret("api"); err == nil || !strings.Contains(err.Error(), `give it with stepflowtest.Secret("api", VALUE)`) {
		t.Errorf("Secret(api) error: %v", err)
	}
	var zero stepflow.Context
	if _, err := zero.Secret("db"); err == nil {
		t.Error("the zero Context gave a secret")
	}
}
