package client_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/datastore/seed"
)

// DefaultRoot resolves as the commands do: STEPFLOW_DATASTORE_ROOT, else
// the config file's datastore_root, else .stepflow; OpenDefault reads the
// runs there.
func TestDefaultRoot(t *testing.T) {
	dir := t.TempDir()
	configured := filepath.Join(dir, "configured")
	if err := seed.Write(configured); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config.json")
	if err := os.WriteFile(config, []byte(`{"datastore_root": "`+configured+`", "region": "us-east-1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STEPFLOW_CONFIG": config}
	getenv := client.WithEnv(func(k string) string { return env[k] })
	root := func() string {
		t.Helper()
		r, err := client.DefaultRoot(getenv)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if got := root(); got != configured {
		t.Errorf("configured: DefaultRoot = %q, want %q", got, configured)
	}
	c, err := client.OpenDefault(context.Background(), getenv)
	if err != nil {
		t.Fatal(err)
	}
	if flows, err := c.Flows(context.Background()); err != nil || len(flows) == 0 {
		t.Errorf("OpenDefault reads no flows at the configured root: %v %v", flows, err)
	}

	env["STEPFLOW_DATASTORE_ROOT"] = "/from/env"
	if got := root(); got != "/from/env" {
		t.Errorf("env over config: DefaultRoot = %q", got)
	}
	delete(env, "STEPFLOW_DATASTORE_ROOT")
	env["STEPFLOW_CONFIG"] = filepath.Join(dir, "none.json")
	if _, err := client.DefaultRoot(getenv); err == nil || !strings.Contains(err.Error(), "none.json") {
		t.Errorf("a missing $STEPFLOW_CONFIG: err = %v, want one naming the file", err)
	}
	env = map[string]string{"HOME": dir} // ~/.stepflow/config.json does not exist
	if got := root(); got != ".stepflow" {
		t.Errorf("nothing configured: DefaultRoot = %q, want .stepflow", got)
	}
}
