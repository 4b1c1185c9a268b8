// Package schedule checks a flow's cron schedule and converts it to the
// form AWS EventBridge Scheduler takes. The cron grammar (ranges, steps,
// lists, month and day names) is checked by github.com/robfig/cron; what
// is Stepflow's own is only the conversion, and the refusal of what
// EventBridge cannot express.
package schedule

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"
)

// parser reads the five standard fields: minute hour day-of-month month
// day-of-week, without descriptors (@daily) or a seconds field.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// Fix is the advice that goes with every error of EventBridge.
const Fix = `write five cron fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * *" (03:00 every day) or "*/15 8-18 * * MON-FRI"; restrict the day of the month or the day of the week, not both`

// EventBridge checks a five-field cron expression (days of the week 0-7,
// Sunday 0 or 7, or SUN-SAT) and returns its EventBridge Scheduler form:
// six fields, days of the week 1-7 with Sunday 1, one of the two day
// fields "?", and a year field "*". Its errors say what EventBridge or
// cron cannot take.
func EventBridge(expr string) (string, error) {
	f := strings.Fields(expr)
	if len(f) != 5 {
		return "", fmt.Errorf("schedule %q has %d fields, not five (minute hour day-of-month month day-of-week); Stepflow writes EventBridge's six-field form itself", expr, len(f))
	}
	// Sunday may be 7 in cron; the parser knows only 0.
	check := append([]string(nil), f...)
	check[4] = sunday7(check[4])
	if _, err := parser.Parse(strings.Join(check, " ")); err != nil {
		return "", fmt.Errorf("schedule %q is not a valid cron expression: %v", expr, err)
	}
	dom, dow := f[2], f[4]
	switch {
	case dow == "*" || dow == "?":
		dow = "?"
	case dom == "*" || dom == "?":
		dom = "?"
		dow = convertDOW(dow)
	default:
		return "", fmt.Errorf("schedule %q restricts both the day of the month and the day of the week; cron runs when either matches, which EventBridge cannot express", expr)
	}
	return strings.Join([]string{f[0], f[1], dom, f[3], dow, "*"}, " "), nil
}

// sunday7 writes a day of the week given alone as 7 as 0.
func sunday7(dow string) string {
	items := strings.Split(dow, ",")
	for i, it := range items {
		if it == "7" {
			items[i] = "0"
		}
	}
	return strings.Join(items, ",")
}

// convertDOW maps numeric days of the week from cron (0-7, Sunday 0 or 7)
// to EventBridge (1-7, Sunday 1) in lists, ranges and steps. The parser
// has checked the field: numbers are 0-7 and ranges go forwards.
func convertDOW(s string) string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		base, step, hasStep := strings.Cut(item, "/")
		parts := strings.Split(base, "-")
		for i, part := range parts {
			if n, err := strconv.Atoi(part); err == nil {
				parts[i] = strconv.Itoa(n%7 + 1)
			}
		}
		r := strings.Join(parts, "-")
		if hasStep {
			r += "/" + step
		}
		out = append(out, r)
	}
	return strings.Join(out, ",")
}
