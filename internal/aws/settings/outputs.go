package settings

import (
	"strings"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
)

// outputAliases are the stack outputs whose names are not their config
// keys': the output says what it holds (a repository's URI), the key what
// the setting is.
var outputAliases = map[string]string{"ImageRepositoryUri": "image_repository"}

// OutputKey returns the config key a stack output of
// deploy/cloudformation/stepflow.yaml sets: its alias, else its name in
// snake case ("DatastoreRoot" -> "datastore_root"); ok is false when the
// output names no setting.
func OutputKey(output string) (key string, ok bool) {
	if k, ok := outputAliases[output]; ok {
		return k, true
	}
	var b strings.Builder
	for i, r := range output {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	key = b.String()
	for _, s := range statemachine.SettingInfos() {
		if s.Key == key {
			return key, true
		}
	}
	return "", false
}
