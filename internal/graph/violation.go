package graph

import (
	"fmt"
	"strings"
)

// Violation is one broken rule: where, what and how to fix it.
type Violation struct {
	Step    string // the step concerned; empty for flow-level rules
	Rule    string // short rule id, e.g. "unknown-target"
	Problem string // what is wrong
	Fix     string // how to fix it
}

func (v Violation) String() string {
	where := "flow"
	if v.Step != "" {
		where = fmt.Sprintf("step %q", v.Step)
	}
	return fmt.Sprintf("%s: %s; %s [%s]", where, v.Problem, v.Fix, v.Rule)
}

// LintError reports every violation found in a flow definition.
type LintError struct {
	Flow       string
	Violations []Violation
}

func (e *LintError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "flow %s has %d problem", e.Flow, len(e.Violations))
	if len(e.Violations) != 1 {
		b.WriteString("s")
	}
	b.WriteString(":")
	for _, v := range e.Violations {
		b.WriteString("\n  ")
		b.WriteString(v.String())
	}
	return b.String()
}
