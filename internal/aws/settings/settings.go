// Package settings loads the deploy settings of a flow on AWS
// (statemachine.Settings) from the environment and the JSON config file:
// the I/O that the pure compiler does not do. It links no AWS SDK, so that
// "stepflow configure" can use it too.
package settings

import (
	"encoding/json"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/readlimit"
	"github.com/stepflow/stepflow/internal/usage"
	"github.com/stepflow/stepflow/internal/userconfig"
)

// ConfigPath returns the config file: $STEPFLOW_CONFIG, else
// ~/.stepflow/config.json (home from $HOME); userconfig.Path.
func ConfigPath(getenv func(string) string) string { return userconfig.Path(getenv) }

// MaxFileSize is the largest settings file ReadFile reads, 1 MiB: the
// file holds a few dozen settings.
const MaxFileSize = 1 << 20

// ReadFile reads a settings file (the config file, CloudFormation stack
// outputs) whole, refusing one over MaxFileSize (readlimit.File).
func ReadFile(path string) ([]byte, error) { return readlimit.File(path, MaxFileSize) }

// Load fills the settings that flags left empty from the environment, then
// from the config file; its errors are bad input (*usage.Error) (read with readFile; a missing default file is not
// an error, a missing $STEPFLOW_CONFIG is). Numeric config keys:
// "workflow_timeout" and "task_timeout" (durations such as "48h"), "max_workers" (a number),
// "distributed_map" (a boolean), "distributed_map_threshold" and
// "foreach_chunk" (numbers; also from STEPFLOW_DISTRIBUTED_MAP_THRESHOLD and
// STEPFLOW_FOREACH_CHUNK).
func Load(flags statemachine.Settings, getenv func(string) string, readFile func(string) ([]byte, error)) (statemachine.Settings, error) {
	s := flags
	var file map[string]any
	if p := ConfigPath(getenv); p != "" && readFile != nil {
		data, err := readFile(p)
		switch {
		case err == nil:
			if err := json.Unmarshal(data, &file); err != nil {
				return s, usage.Errorf("config file %s is not a JSON object: %v; fix it or point STEPFLOW_CONFIG elsewhere", p, err)
			}
		case errors.Is(err, fs.ErrNotExist) && getenv("STEPFLOW_CONFIG") == "":
		case errors.As(err, new(*readlimit.TooLargeError)):
			return s, usage.Errorf("config file: %v; it holds a few settings: fix it or point STEPFLOW_CONFIG elsewhere", err)
		default:
			return s, usage.Errorf("config file %s: %v; create it or unset STEPFLOW_CONFIG", p, err)
		}
	}
	known := map[string]bool{}
	for _, k := range numericKeys {
		known[k] = true
	}
	for _, st := range statemachine.SettingInfos() {
		known[st.Key] = true
		p := s.Field(st.Flag)
		if *p != "" {
			continue
		}
		if v := getenv(st.Env); v != "" {
			*p = v
			continue
		}
		if v, ok := file[st.Key]; ok {
			str, ok := v.(string)
			if !ok {
				return s, usage.Errorf("config file %s: %q must be a string", ConfigPath(getenv), st.Key)
			}
			*p = str
		}
	}
	for k := range file {
		if !known[k] {
			return s, usage.Errorf("config file %s: unknown key %q; known keys: %s", ConfigPath(getenv), k, strings.Join(configKeys(), ", "))
		}
	}
	if s.WorkflowTimeout == 0 {
		if v, ok := file["workflow_timeout"]; ok {
			str, _ := v.(string)
			d, err := time.ParseDuration(str)
			if err != nil {
				return s, usage.Errorf("config file %s: workflow_timeout %v is not a duration such as \"48h\"", ConfigPath(getenv), v)
			}
			s.WorkflowTimeout = d
		}
	}
	if s.TaskTimeout == 0 {
		if v := getenv("STEPFLOW_TASK_TIMEOUT"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return s, usage.Errorf("STEPFLOW_TASK_TIMEOUT=%q is not a duration such as \"48h\"", v)
			}
			s.TaskTimeout = d
		} else if v, ok := file["task_timeout"]; ok {
			str, _ := v.(string)
			d, err := time.ParseDuration(str)
			if err != nil {
				return s, usage.Errorf("config file %s: task_timeout %v is not a duration such as \"48h\"", ConfigPath(getenv), v)
			}
			s.TaskTimeout = d
		}
	}
	if s.MaxWorkers == 0 {
		if v, ok := file["max_workers"]; ok {
			n, ok := v.(float64)
			if !ok || n != float64(int(n)) {
				return s, usage.Errorf("config file %s: max_workers %v is not a whole number", ConfigPath(getenv), v)
			}
			s.MaxWorkers = int(n)
		}
	}
	for _, n := range []struct {
		p        *int
		env, key string
	}{{&s.DistributedMapThreshold, "STEPFLOW_DISTRIBUTED_MAP_THRESHOLD", "distributed_map_threshold"}, {&s.ForeachChunk, "STEPFLOW_FOREACH_CHUNK", "foreach_chunk"}} {
		if *n.p != 0 {
			continue
		}
		if v := getenv(n.env); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil {
				return s, usage.Errorf("%s=%q is not a whole number", n.env, v)
			}
			*n.p = i
			continue
		}
		if v, ok := file[n.key]; ok {
			f, ok := v.(float64)
			if !ok || f != float64(int(f)) {
				return s, usage.Errorf("config file %s: %s %v is not a whole number", ConfigPath(getenv), n.key, v)
			}
			*n.p = int(f)
		}
	}
	if !s.DistributedMap {
		if v, ok := file["distributed_map"]; ok {
			b, ok := v.(bool)
			if !ok {
				return s, usage.Errorf("config file %s: distributed_map %v is not true or false", ConfigPath(getenv), v)
			}
			s.DistributedMap = b
		}
	}
	return s, nil
}

// numericKeys are the config keys of the settings that are not strings.
var numericKeys = []string{"workflow_timeout", "task_timeout", "max_workers", "distributed_map", "distributed_map_threshold", "foreach_chunk"}

func configKeys() []string {
	var ks []string
	for _, st := range statemachine.SettingInfos() {
		ks = append(ks, st.Key)
	}
	return append(ks, numericKeys...)
}
