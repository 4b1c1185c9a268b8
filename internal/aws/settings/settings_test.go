package settings_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/aws/settings"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
)

func TestLoadSettings(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte(`{"batch_queue": "from-file", "batch_image": "img-file", "workflow_timeout": "48h", "max_workers": 7}`), 0o644)
	env := map[string]string{"STEPFLOW_CONFIG": cfg, "STEPFLOW_BATCH_IMAGE": "img-env"}
	s, err := settings.Load(statemachine.Settings{Region: "eu-west-1"}, func(k string) string { return env[k] }, os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	if s.Queue != "from-file" || s.Image != "img-env" || s.Region != "eu-west-1" || s.WorkflowTimeout != 48*time.Hour || s.MaxWorkers != 7 {
		t.Errorf("settings: %+v", s)
	}
	os.WriteFile(cfg, []byte(`{"batch_queu": "typo"}`), 0o644)
	if _, err := settings.Load(statemachine.Settings{}, func(k string) string { return env[k] }, os.ReadFile); err == nil || !strings.Contains(err.Error(), `unknown key "batch_queu"`) {
		t.Errorf("typo in config: %v", err)
	}
	env["STEPFLOW_CONFIG"] = filepath.Join(dir, "missing.json")
	if _, err := settings.Load(statemachine.Settings{}, func(k string) string { return env[k] }, os.ReadFile); err == nil {
		t.Error("a missing $STEPFLOW_CONFIG is not reported")
	}
}

func TestLoadForeachSettings(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte(`{"distributed_map_threshold": 200, "foreach_chunk": 500}`), 0o644)
	env := map[string]string{"STEPFLOW_CONFIG": cfg, "STEPFLOW_FOREACH_CHUNK": "250"}
	s, err := settings.Load(statemachine.Settings{}, func(k string) string { return env[k] }, os.ReadFile)
	if err != nil || s.DistributedMapThreshold != 200 || s.ForeachChunk != 250 {
		t.Errorf("settings %d %d: %v", s.DistributedMapThreshold, s.ForeachChunk, err)
	}
	s, err = settings.Load(statemachine.Settings{DistributedMapThreshold: 7}, func(k string) string { return env[k] }, os.ReadFile)
	if err != nil || s.DistributedMapThreshold != 7 {
		t.Errorf("the flag does not win: %d %v", s.DistributedMapThreshold, err)
	}
	env["STEPFLOW_DISTRIBUTED_MAP_THRESHOLD"] = "many"
	if _, err := settings.Load(statemachine.Settings{}, func(k string) string { return env[k] }, os.ReadFile); err == nil || !strings.Contains(err.Error(), "STEPFLOW_DISTRIBUTED_MAP_THRESHOLD") {
		t.Errorf("bad number: %v", err)
	}
}
