package toml_test

import (
	"strings"
	"testing"

	"github.com/stepflow/stepflow/config/toml"
)

type settings struct {
	Prefix string `toml:"prefix"`
	Scale  int    `toml:"scale"`
}

func TestParse(t *testing.T) {
	var s settings
	if err := toml.Parse([]byte("prefix = \">\"\nscale = 4\n"), &s); err != nil || s != (settings{">", 4}) {
		t.Errorf("Parse = %+v, %v", s, err)
	}
	if err := toml.Parse([]byte("scael = 4\n"), &s); err == nil || !strings.Contains(err.Error(), `unknown key "scael"`) {
		t.Errorf("Parse of an unknown key = %v", err)
	}
	if err := toml.Parse([]byte("prefix = \n"), &s); err == nil {
		t.Error("Parse of invalid TOML succeeded")
	}
}
