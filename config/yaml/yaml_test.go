package yaml_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/config/yaml"
)

type settings struct {
	Prefix string `yaml:"prefix"`
	Scale  int    `yaml:"scale"`
}

func TestParse(t *testing.T) {
	var s settings
	if err := yaml.Parse([]byte("prefix: \">\"\nscale: 4\n"), &s); err != nil || s != (settings{">", 4}) {
		t.Errorf("Parse = %+v, %v", s, err)
	}
	if err := yaml.Parse([]byte("scael: 4\n"), &s); err == nil || !strings.Contains(err.Error(), "scael") {
		t.Errorf("Parse of an unknown key = %v", err)
	}
}

// TestManyKeys: a mapping larger than the decoder handles in reasonable
// time is refused at once, with the fix.
func TestManyKeys(t *testing.T) {
	var b strings.Builder
	for i := range yaml.MaxKeys + 1 {
		fmt.Fprintf(&b, "k%d: v\n", i)
	}
	var m map[string]string
	if err := yaml.Parse([]byte(b.String()), &m); err == nil || !strings.Contains(err.Error(), "write this config as .json") {
		t.Errorf("Parse of %d keys = %v", yaml.MaxKeys+1, err)
	}
}
