// Package toml parses TOML configs (github.com/BurntSushi/toml):
//
//	stepflow.New[F]("F").Config("settings", "settings.toml", "help", stepflow.ConfigParser(toml.Parse))
//
// JSON configs need no parser. This one is a package of its own so that
// only a flow with a TOML config links the TOML library, whose package
// initialisation every task of the flow would otherwise pay.
package toml

import (
	"fmt"

	"github.com/BurntSushi/toml"
)

// Parse decodes a TOML document into v, a pointer; a key v's type does
// not have is an error, so a typo in the file does not pass silently.
func Parse(data []byte, v any) error {
	md, err := toml.Decode(string(data), v)
	if err != nil {
		return err
	}
	if u := md.Undecoded(); len(u) > 0 {
		return fmt.Errorf("unknown key %q", u[0].String())
	}
	return nil
}
