package graph

import (
	"fmt"
	"reflect"
	"unicode"
	"unicode/utf8"
)

// missingField reports a transition (what: "foreach over", "switch on")
// over a field that is not an artifact: one the state struct does not
// have, or one it has unexported, which no task can see because only
// exported fields are stored. kind qualifies the field the fix asks for
// ("slice ").
func (l *linter) missingField(step, rule, what, name, kind string) {
	if l.f.StateType != nil && l.f.StateType.Kind() == reflect.Struct {
		if sf, ok := l.f.StateType.FieldByName(name); ok && !sf.IsExported() {
			exported := exportedName(name)
			l.add(step, rule, fmt.Sprintf("export it: rename the field %s and use %q here", exported, exported),
				"%s field %q of %s, which is unexported, so it is not an artifact and the tasks after this step would not see it", what, name, l.typeName())
			return
		}
	}
	l.add(step, rule, fmt.Sprintf("name an exported %sfield of %s", kind, l.typeName()),
		"%s field %q, but %s has no field of that name", what, name, l.typeName())
}

// exportedName is name with its first letter in upper case.
func exportedName(name string) string {
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[n:]
}
