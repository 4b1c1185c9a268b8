package graph

import (
	"regexp"
	"testing"
)

// TestNamePatterns checks the hand-written name rules against the regexps
// they stand for.
func TestNamePatterns(t *testing.T) {
	for _, c := range []struct {
		p  namePattern
		re string
	}{
		{stepName, `^[a-z][a-z0-9_]*$`},
		{flowName, `^[A-Za-z][A-Za-z0-9_]*$`},
		{envName, `^[A-Za-z_][A-Za-z0-9_]*$`},
		{paramName, `^[a-z][a-z0-9-]*$`},
	} {
		re := regexp.MustCompile(c.re)
		for _, s := range []string{"", "a", "A", "_", "-", "0", "ab_1", "aB", "Ab", "a-b", "_a", "a b", "a.b",
			"é", "aé", "train_2", "batch-size", "X-", "z9", "Z_", "a\n", "{", "`", "@", "[", "9a"} {
			if got, want := c.p.MatchString(s), re.MatchString(s); got != want {
				t.Errorf("%s: %q matched %v, want %v", c.re, s, got, want)
			}
		}
	}
}
