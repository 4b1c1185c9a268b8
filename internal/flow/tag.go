package flow

import (
	"fmt"
	"strings"
)

// Prefixes of the tags Stepflow itself gives runs. A user tag may not
// start with one, so that a tag a reader sees as the system's is the
// system's: ProductionTagPrefix marks a run of a deployment (its
// production token, taskcontract.ProductionPrefix), ResumedTagPrefix the
// origin of a resumed run (as `runs` prints it).
const (
	ProductionTagPrefix = "production:"
	ResumedTagPrefix    = "resumed:"
)

// MaxTagLen is the longest tag a run takes.
const MaxTagLen = 256

// CheckTag refuses a user tag (Tags in the definition, --tag of run and
// resume) that is empty, longer than MaxTagLen, not one line, or looks
// like a system tag. The error says what to give instead.
func CheckTag(t string) error {
	switch {
	case strings.TrimSpace(t) == "":
		return fmt.Errorf("tag %q is not valid: it is empty; give a non-empty single-line tag of at most %d characters", t, MaxTagLen)
	case len(t) > MaxTagLen:
		return fmt.Errorf("tag %q is not valid: it is %d characters long; give a single-line tag of at most %d characters", t[:40]+"…", len(t), MaxTagLen)
	case strings.ContainsAny(t, "\n\r\t"):
		return fmt.Errorf("tag %q is not valid: it is not one line; give a single-line tag of at most %d characters", t, MaxTagLen)
	}
	for _, p := range []string{ProductionTagPrefix, ResumedTagPrefix} {
		if strings.HasPrefix(strings.ToLower(t), p) {
			return fmt.Errorf("tag %q is not valid: it starts with %q, which Stepflow reserves for the tags it sets itself; choose another tag", t, p)
		}
	}
	return nil
}
