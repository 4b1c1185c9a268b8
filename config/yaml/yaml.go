// Package yaml parses YAML configs (go.yaml.in/yaml/v3):
//
//	stepflow.New[F]("F").Config("settings", "settings.yaml", "help", stepflow.ConfigParser(yaml.Parse))
//
// JSON configs need no parser. This one is a package of its own so that
// only a flow with a YAML config links the YAML library, whose package
// initialisation every task of the flow would otherwise pay.
package yaml

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Parse decodes a YAML document into v, a pointer; a key v's type does
// not have is an error, so a typo in the file does not pass silently.
func Parse(data []byte, v any) error {
	if err := checkMappings(data); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// MaxKeys is the most keys one YAML mapping of a config may hold. The
// YAML decoder checks a mapping's keys for duplicates pair by pair, in
// time quadratic in their number, so a few tens of thousands of keys take
// minutes; up to this many the cost stays in the order of a second.
// Larger maps belong in a JSON config, which decodes in linear time.
const MaxKeys = 10000

// checkMappings parses data (in linear time) and refuses a mapping with
// more than MaxKeys keys before the decoder would spend minutes on it.
// Syntax errors are left to the decoder, which reports them.
func checkMappings(data []byte) error {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return nil
	}
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n.Kind == yaml.MappingNode && len(n.Content)/2 > MaxKeys {
			return fmt.Errorf("a mapping at line %d has %d keys, more than the %d a YAML config may hold (YAML decoding slows quadratically with them); write this config as .json",
				n.Line, len(n.Content)/2, MaxKeys)
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
