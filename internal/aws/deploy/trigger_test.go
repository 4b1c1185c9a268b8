package deploy_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/usage"
)

// Trigger names the execution before StartExecution: a lost answer is
// retried by the SDK without starting a second run, and the run id it
// returns is the execution's name, also when every attempt fails.
func TestTriggerNamesTheExecution(t *testing.T) {
	e := setup(t, false)
	if err := e.create(t); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ops := e.ops()

	e.f.Reset()
	e.f.FailAfter("StartExecution", "InternalServerException", 1)
	id, err := ops.Trigger(ctx, map[string]string{"name": "ada"}, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^sfn-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("run id %q is not sfn-<uuid>", id)
	}
	if n := e.f.Count("StartExecution"); n != 2 {
		t.Errorf("StartExecution called %d times, want 2 (the lost answer retried)", n)
	}
	runs, err := ops.ListRuns(ctx, "", false)
	if err != nil || len(runs) != 1 || runs[0].ID != id {
		t.Errorf("a retried trigger started %+v (%v), want the one run %s", runs, err, id)
	}

	// Every attempt fails: the run id comes with the error.
	e.f.Fail("StartExecution", "InternalServerException", 3) // the SDK tries 3 times
	id2, err := ops.Trigger(ctx, nil, "ada")
	if err == nil || !strings.HasPrefix(id2, "sfn-") || id2 == id || !strings.Contains(err.Error(), id2) {
		t.Errorf("failed trigger: id %q, %v", id2, err)
	}
	// Refused: it did not start, no id.
	e.f.Fail("StartExecution", "AccessDeniedException", 1)
	if id3, err := ops.Trigger(ctx, nil, "ada"); !usage.Is(err) || id3 != "" {
		t.Errorf("denied trigger: id %q, %v", id3, err)
	}
}
