package sfncmd_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// create --only-json prints what create deploys: the compact definition,
// byte for byte; --indent the same JSON indented.
func TestOnlyJSONIsCompact(t *testing.T) {
	dir := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "params", "settings.toml"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "examples", "params"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "examples", "params", "settings.toml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	def, stderr, code := runParams(t, dir, "step-functions", "create", "--only-json")
	if code != 0 {
		t.Fatalf("create --only-json: exit %d\n%s", code, stderr)
	}
	pretty, stderr, code := runParams(t, dir, "step-functions", "create", "--only-json", "--indent")
	if code != 0 {
		t.Fatalf("create --only-json --indent: exit %d\n%s", code, stderr)
	}
	var compacted bytes.Buffer
	if err := json.Compact(&compacted, []byte(pretty)); err != nil {
		t.Fatal(err)
	}
	if def != compacted.String() {
		t.Errorf("--only-json is not the compact form of --indent:\n%.300s\n%.300s", def, compacted.String())
	}
	if strings.Contains(def, "\n") || len(def) >= len(pretty) {
		t.Errorf("--only-json printed %d bytes with newlines, --indent %d", len(def), len(pretty))
	}
}
