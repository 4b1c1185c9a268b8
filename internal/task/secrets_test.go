package task

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/flow"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var testSecrets = []flow.Secret{
	{Name: "db", ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db"},
	{Name: "api_key", ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api"},
}

// A local run's secret comes from STEPFLOW_SECRET_<NAME>, else from the
// secrets file; the variable wins over the file.
func TestLocalSecrets(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(file, []byte(`{"db": "from-file", "api_key": "key-from-file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LocalSecrets{Getenv: envOf(map[string]string{"STEPFLOW_SECRET_DB": "from-env", EnvSecretsFile: file})}.Secrets(context.Background(), testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	if got["db"] != "from-env" || got["api_key"] != "key-from-file" {
		t.Errorf("got %v, want db from the environment and api_key from the file", got)
	}
}

// A missing secret is an error naming the variable and the file key to
// set; a bad file is one naming the file, never quoting what is in it.
func TestLocalSecretsMissing(t *testing.T) {
	_, err := LocalSecrets{Getenv: envOf(map[string]string{"STEPFLOW_SECRET_DB": "x"})}.Secrets(context.Background(), testSecrets)
	if err == nil || !strings.Contains(err.Error(), "export STEPFLOW_SECRET_API_KEY=VALUE") || !strings.Contains(err.Error(), `--secrets-file FILE, a JSON object with the key "api_key"`) {
		t.Errorf("error %v; want one naming STEPFLOW_SECRET_API_KEY and --secrets-file", err)
	}
	dir := t.TempDir()
	for name, content := range map[string]string{"syntax.json": `{"db": "PLANTED-VALUE" oops}`, "type.json": `{"db": ["PLANTED-VALUE"]}`} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LocalSecrets{Getenv: envOf(map[string]string{EnvSecretsFile: file})}.Secrets(context.Background(), testSecrets)
		if err == nil || !strings.Contains(err.Error(), file) || strings.Contains(err.Error(), "PLANTED") {
			t.Errorf("%s: error %v; want one naming the file without its content", name, err)
		}
	}
}
