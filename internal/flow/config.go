package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/stepflow/stepflow/internal/readlimit"
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
	Parse Parser       // decodes the file; nil: JSON
}

// Parser decodes a config file's bytes into v, a pointer to a value of
// the config's type, refusing keys the type does not have. JSON is built
// in; other formats are parsers a flow links only when it uses them
// (github.com/stepflow/stepflow/config/toml and config/yaml), since every
// library a flow binary links initialises in every task's start-up.
type Parser func(data []byte, v any) error

// formatPackages names the package that parses each format that is not
// built in, for the message that asks for it.
var formatPackages = map[string]string{".toml": "toml", ".yaml": "yaml", ".yml": "yaml"}

// Format names the format of a file at path ("TOML", or "not JSON" for
// an extension this package does not know), and reports whether the
// config can read it: a .json file, always, and any other file when the
// config has a Parser.
func (c *Config) Format(path string) (format string, ok bool) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".json" {
		return "JSON", true
	}
	if pkg, known := formatPackages[ext]; known {
		return strings.ToUpper(pkg), c.Parse != nil
	}
	return "not JSON", c.Parse != nil
}

// CheckPath reports why path cannot be read as this config, or nil.
func (c *Config) CheckPath(path string) error {
	format, ok := c.Format(path)
	if ok {
		return nil
	}
	if pkg, known := formatPackages[strings.ToLower(filepath.Ext(path))]; known {
		return fmt.Errorf("config %s: file %s is %s, and the config has no parser for it (JSON is built in); declare it with stepflow.ConfigParser(%s.Parse), package github.com/stepflow/stepflow/config/%s, or give a .json file",
			c.Name, path, format, pkg, pkg)
	}
	return fmt.Errorf("config %s: file %s has extension %q; give a .json file, or declare the config with stepflow.ConfigParser (config/toml and config/yaml parse TOML and YAML)", c.Name, path, filepath.Ext(path))
}

// Load reads path and decodes it into a value of the config's type: a
// .json file as JSON, any other with the config's Parser. Unknown
// keys are an error, so a typo in the file does not pass silently.
// A file larger than MaxConfigSize is refused before it is read.
func (c *Config) Load(path string) (any, error) {
	data, err := readlimit.File(path, MaxConfigSize)
	var tl *readlimit.TooLargeError
	switch {
	case errors.As(err, &tl):
		return nil, c.tooLarge(path, tl.Size)
	case errors.Is(err, readlimit.ErrDirectory):
		return nil, fmt.Errorf("config %s: %s is a directory; give a file", c.Name, path)
	case err != nil:
		return nil, fmt.Errorf("config %s: %w", c.Name, err)
	}
	return c.Decode(path, data)
}

// MaxConfigSize is the largest config file a run or deployment reads, 10
// MiB: a config is settings, frozen into every run and passed to every
// task; data belongs in artifacts (stepflow.File for files).
const MaxConfigSize = 10 << 20

// tooLarge is the error of a config file over MaxConfigSize; size < 0:
// a stream that went on past it.
func (c *Config) tooLarge(path string, size int64) error {
	what := fmt.Sprintf("is %d bytes", size)
	if size < 0 {
		what = "holds"
	}
	return fmt.Errorf("config %s: file %s %s, more than the %d MiB a config may hold; keep settings in the config and load data in a step (stepflow.File)",
		c.Name, path, what, MaxConfigSize>>20)
}

// Decode decodes data, read from path, into the config's type.
func (c *Config) Decode(path string, data []byte) (any, error) {
	if err := c.CheckPath(path); err != nil {
		return nil, err
	}
	v := reflect.New(c.Type)
	var err error
	if c.Parse != nil && !strings.EqualFold(filepath.Ext(path), ".json") {
		err = c.Parse(data, v.Interface())
	} else {
		err = decodeJSONConfig(data, v.Interface())
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: file %s does not decode into %s: %v", c.Name, path, c.Type, err)
	}
	return v.Elem().Interface(), nil
}

// decodeJSONConfig decodes one JSON value into ptr, strictly: unknown keys,
// anything after the value (a second document, junk) and a bare null (a
// config with no settings at all, which leaves every field zero without
// saying so) are errors.
func decodeJSONConfig(data []byte, ptr any) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return errors.New("the file holds null, not a JSON object of settings; write the settings, or {} for none")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ptr); err != nil {
		return err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the JSON value, from byte %d; a config file holds exactly one JSON value", end)
	}
	return nil
}
