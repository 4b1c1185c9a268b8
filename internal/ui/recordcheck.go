package ui

import (
	"context"
	"maps"
	"slices"

	"github.com/stepflow/stepflow/client"
)

// checkRecordsUpTo is the most tasks whose records a run view reads to
// find damage. A run's attempt index (one listing) gives every task's
// status without reading a record, so a damaged record would count as the
// status its index entry holds; up to this many tasks the view also reads
// each finished task's record (eight at a time: a small share of the
// page's time at this size) and counts the damaged ones as damaged. Larger runs are drawn from the
// index alone, which the page says, with the verify command that checks
// every record; their step and task pages read records and show damage.
const checkRecordsUpTo = 2000

// checkRecords reads the record of every finished task of p, replacing a
// task whose record is damaged by its damaged form (client.Task.Load).
// It reports false, having read nothing, when p has more than
// checkRecordsUpTo tasks.
func checkRecords(ctx context.Context, p *client.Progress) (bool, error) {
	var at []*[]*client.Task // the step's slice of each task read
	var idx []int
	var tasks []*client.Task
	for _, name := range slices.Sorted(maps.Keys(p.Steps)) {
		st := p.Steps[name]
		for i, t := range st {
			if t.Status != client.StatusRunning {
				at, idx, tasks = append(at, &st), append(idx, i), append(tasks, t)
			}
		}
	}
	if len(tasks) > checkRecordsUpTo {
		return false, nil
	}
	if err := loadAll(ctx, tasks); err != nil {
		return false, err
	}
	for k, t := range tasks {
		if t.Status == client.StatusDamaged {
			(*at[k])[idx[k]] = t
		}
	}
	return true, nil
}
