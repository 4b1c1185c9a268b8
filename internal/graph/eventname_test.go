package graph

import (
	"regexp"
	"strings"
	"testing"
)

// The hand matchers of event names and paths accept exactly what the
// regexps they replace accept.
var (
	eventPathRE = regexp.MustCompile(`^[A-Za-z0-9_/-]+(\[[0-9]+\])?(\.[A-Za-z0-9_/-]+(\[[0-9]+\])?)*$`)
	eventNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`)
)

func TestEventPathMatchesRegexp(t *testing.T) {
	cases := []string{"", ".", "detail", "detail.date", "detail.items[0]", "detail.items[12].name",
		"a[1][2]", "a[]", "a[x]", "a[1", "a]", "[1]", "detail..x", "detail.", ".detail", "a-b/c_d.e",
		"détail", "a b", "a.b[3].c[40]", "a.[1]", "a[01]", "detail:x"}
	for _, c := range cases {
		if got, want := eventPath(c), eventPathRE.MatchString(c); got != want {
			t.Errorf("eventPath(%q) = %v, the regexp says %v", c, got, want)
		}
	}
}

func TestEventNameMatchesRegexp(t *testing.T) {
	cases := []string{"", "a", "Order.Placed", "order:placed/v1-x_y", ".a", "-a", "a b", "a\n",
		"é", strings.Repeat("x", 127), strings.Repeat("x", 128), strings.Repeat("x", 129), "aws.x"}
	for _, c := range cases {
		want := eventNameRE.MatchString(c) && !strings.HasPrefix(c, "aws.")
		if got := ValidEventName(c); got != want {
			t.Errorf("ValidEventName(%q) = %v, the regexp says %v", c, got, want)
		}
	}
}

func FuzzEventPath(f *testing.F) {
	for _, s := range []string{"detail.items[0].name", "a[1][2]", "a.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := eventPath(s), eventPathRE.MatchString(s); got != want {
			t.Errorf("eventPath(%q) = %v, the regexp says %v", s, got, want)
		}
		want := eventNameRE.MatchString(s) && !strings.HasPrefix(s, "aws.")
		if got := ValidEventName(s); got != want {
			t.Errorf("ValidEventName(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
