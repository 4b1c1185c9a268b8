package flow

import (
	"strings"
	"testing"
)

// TestCheckTag: user tags are one non-empty line of at most MaxTagLen
// characters and never look like the tags Stepflow sets itself.
func TestCheckTag(t *testing.T) {
	for _, ok := range []string{"nightly", "team:ml", "v1.2", "prod", "productionish", strings.Repeat("t", MaxTagLen)} {
		if err := CheckTag(ok); err != nil {
			t.Errorf("CheckTag(%q) = %v", ok, err)
		}
	}
	for tag, want := range map[string]string{
		"":                               "it is empty",
		"  ":                             "it is empty",
		"a\nb":                           "not one line",
		strings.Repeat("t", MaxTagLen+1): "257 characters long",
		"production:abc":                 `starts with "production:"`,
		"PRODUCTION:abc":                 `starts with "production:"`,
		"resumed:r-1":                    `starts with "resumed:"`,
	} {
		err := CheckTag(tag)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "; ") {
			t.Errorf("CheckTag(%q) = %v, want an error saying %q and how to fix it", tag, err, want)
		}
	}
}
