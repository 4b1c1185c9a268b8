package schedule_test

import (
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/schedule"
)

func TestEventBridge(t *testing.T) {
	for in, want := range map[string]string{
		"0 3 * * *":             "0 3 * * ? *",
		"*/15 * * * 1-5":        "*/15 * ? * 2-6 *",
		"0 0 1 * *":             "0 0 1 * ? *",
		"0 12 * * 0,6":          "0 12 ? * 1,7 *",
		"0 12 * * MON":          "0 12 ? * MON *",
		"30 2 * * 7":            "30 2 ? * 1 *",
		"*/15 8-18 * * MON-FRI": "*/15 8-18 ? * MON-FRI *",
		"0 3 1,15 JAN-MAR *":    "0 3 1,15 JAN-MAR ? *",
	} {
		got, err := schedule.EventBridge(in)
		if err != nil || got != want {
			t.Errorf("EventBridge(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for bad, why := range map[string]string{
		"61 3 * * *":     "not a valid cron expression",
		"0 25 * * *":     "not a valid cron expression",
		"0 3 * 13 *":     "not a valid cron expression",
		"0 3 32 * *":     "not a valid cron expression",
		"0 3 * * 8":      "not a valid cron expression",
		"0 3 * * FUNDAY": "not a valid cron expression",
		"0 3 * * 5-0":    "not a valid cron expression",
		"0 3 * * 5-7":    "end of range (7) above maximum (6)",
		"0 3 1 * 1":      "restricts both the day of the month and the day of the week",
		"0 3 * * ? 2030": "has 6 fields",
		"0 0 3 * * *":    "has 6 fields",
		"0 3 * *":        "has 4 fields",
		"@daily":         "has 1 fields",
		"":               "has 0 fields",
	} {
		_, err := schedule.EventBridge(bad)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("EventBridge(%q) = %v, want an error saying %q", bad, err, why)
		}
	}
}
