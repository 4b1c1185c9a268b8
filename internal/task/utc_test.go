package task_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/task"
)

type utcState struct{ N int }

// A task's record holds its times in UTC, whatever the process's time
// zone: formatting a time in time.Local would load the zone database in
// every task process.
func TestRecordTimesAreUTC(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("UTC+5", 5*3600)
	defer func() { time.Local = saved }()
	f := flow.MustDefinitionOf(stepflow.New[utcState]("UTCFlow").
		Step("start", func(s *utcState, c *stepflow.Context) error { s.N = 1; return nil }, stepflow.Next("end")).
		Step("end", func(s *utcState, c *stepflow.Context) error { return nil }))
	ex, root := localExecutor(t, f, "r1")
	ctx := context.Background()
	rec, err := ex.Run(ctx, task.Spec{RunID: "r1", Step: "start"})
	if err != nil || rec.Status != datastore.StatusSucceeded {
		t.Fatalf("start: %+v %v", rec, err)
	}
	if rec.Start.Location() != time.UTC || rec.End.Location() != time.UTC {
		t.Errorf("record times in %v and %v, want UTC", rec.Start.Location(), rec.End.Location())
	}
	raw, err := os.ReadFile(filepath.Join(root, "UTCFlow", "runs", "r1", "start", "0", "0", "attempt.json"))
	if err != nil {
		t.Fatal(err)
	}
	stamps := regexp.MustCompile(`"(start|end)": "[0-9-]+T[0-9:.]+(Z|[+-][0-9:]+)"`).FindAllSubmatch(raw, -1)
	if len(stamps) != 2 {
		t.Fatalf("found %d of the record's two times in\n%s", len(stamps), raw)
	}
	for _, m := range stamps {
		if string(m[2]) != "Z" {
			t.Errorf("stored %s time has offset %s, want Z", m[1], m[2])
		}
	}
}
