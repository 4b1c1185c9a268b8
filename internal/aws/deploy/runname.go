package deploy

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxRunName is the longest run name: the most characters AWS Step
// Functions allows in an execution name.
const MaxRunName = 80

// runNameMarks are the characters other than letters and digits a run
// name may have: those both an execution name and a Batch tag value allow.
const runNameMarks = "_.=+-@"

// CheckRunName refuses a run name (step-functions trigger --run-name)
// that AWS would refuse, with the rule (a *usage.Error, exit status 2).
// The name becomes the Step Functions execution's name, and the run id
// sfn-<name> the value of the stepflow:run tag of every AWS Batch job of
// the run, so it must satisfy both: Step Functions allows 1 to 80
// characters without spaces, brackets, wildcards, " # % \ ^ | ~ ` $ & , ;
// : / or control characters; AWS Batch tag values are letters, digits,
// spaces and + - = . _ : / @, at most 256 characters. A name that only
// Step Functions accepted would start a run whose first job AWS Batch
// refuses.
func CheckRunName(name string) error {
	const rule = "a run name is 1 to 80 letters, digits and _ . = + - @: it names the Step Functions execution, and its run id sfn-NAME tags every AWS Batch job of the run (Batch tag values allow letters, digits, spaces and + - = . _ : / @ only)"
	n := utf8.RuneCountInString(name)
	switch {
	case !utf8.ValidString(name):
		return userf("run name %q is not valid UTF-8; %s", name, rule)
	case n == 0:
		return userf("the run name is empty; %s", rule)
	case n > MaxRunName:
		return userf("run name %q has %d characters, over the %d Step Functions allows; %s", name, n, MaxRunName, rule)
	}
	for i, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(runNameMarks, r) {
			continue
		}
		what := fmt.Sprintf("%q", r)
		if unicode.IsSpace(r) {
			what = "a space"
		}
		return userf("run name %q has %s at byte %d; %s", name, what, i, rule)
	}
	return nil
}
