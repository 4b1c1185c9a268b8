package flow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// Config is a value read from a file when a run starts (or a flow is
// deployed) and frozen into that run: every step sees the same value in
// the state field Field, whatever happens to the file later.
type Config struct {
	Name  string       // flag key: --config NAME=PATH
	Field string       // state field that receives the value
	Path  string       // default file; empty: the user must give one
	Help  string       // one line for --help
	Type  reflect.Type // Go type of the field
}

// Load reads path and decodes it into a value of the config's type. The
// format comes from the extension: .json, .toml, .yaml or .yml. Unknown
// keys are an error, so a typo in the file does not pass silently.
// A file larger than MaxConfigSize is refused before it is read.
func (c *Config) Load(path string) (any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", c.Name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", c.Name, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("config %s: %s is a directory; give a .json, .toml or .yaml file", c.Name, path)
	}
	if fi.Size() > MaxConfigSize {
		return nil, c.tooLarge(path, fi.Size())
	}
	// Read at most one byte past the limit: a file that grows, or a
	// pipe, cannot make us read more.
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", c.Name, err)
	}
	if len(data) > MaxConfigSize {
		return nil, c.tooLarge(path, int64(len(data)))
	}
	return c.Decode(path, data)
}

// MaxConfigSize is the largest config file a run or deployment reads, 10
// MiB: a config is settings, frozen into every run and passed to every
// task; data belongs in artifacts (stepflow.File for files).
const MaxConfigSize = 10 << 20

func (c *Config) tooLarge(path string, size int64) error {
	return fmt.Errorf("config %s: file %s is %d bytes, more than the %d MiB a config may hold; keep settings in the config and load data in a step (stepflow.File)",
		c.Name, path, size, MaxConfigSize>>20)
}

// Decode decodes data, named by path for its format, into the config's type.
func (c *Config) Decode(path string, data []byte) (any, error) {
	v := reflect.New(c.Type)
	var err error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(v.Interface())
	case ".toml":
		var md toml.MetaData
		md, err = toml.Decode(string(data), v.Interface())
		if err == nil && len(md.Undecoded()) > 0 {
			err = fmt.Errorf("unknown key %q", md.Undecoded()[0].String())
		}
	case ".yaml", ".yml":
		if err := checkYAMLMappings(data); err != nil {
			return nil, fmt.Errorf("config %s: file %s: %w", c.Name, path, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		err = dec.Decode(v.Interface())
	default:
		return nil, fmt.Errorf("config %s: file %s has extension %q; use .json, .toml, .yaml or .yml", c.Name, path, ext)
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: file %s does not decode into %s: %v", c.Name, path, c.Type, err)
	}
	return v.Elem().Interface(), nil
}

// maxYAMLKeys is the most keys one YAML mapping of a config may hold. The
// YAML decoder (go.yaml.in/yaml/v3) checks a mapping's keys for
// duplicates pair by pair, in time quadratic in their number: 16,000 keys
// take 1.6 s, 65,000 over a minute on the reference machine. 10,000 keys
// decode in about a second; larger maps belong in a JSON or TOML config,
// which decode in linear time.
const maxYAMLKeys = 10000

// checkYAMLMappings parses data (in linear time) and refuses a mapping
// with more than maxYAMLKeys keys before the decoder would spend minutes
// on it. Syntax errors are left to the decoder, which reports them.
func checkYAMLMappings(data []byte) error {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return nil
	}
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n.Kind == yaml.MappingNode && len(n.Content)/2 > maxYAMLKeys {
			return fmt.Errorf("a mapping at line %d has %d keys, more than the %d a YAML config may hold (YAML decoding slows quadratically with them); write this config as .json or .toml",
				n.Line, len(n.Content)/2, maxYAMLKeys)
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(&root)
}
