package ui

import (
	"context"
	"sync"

	"github.com/stepflow/stepflow/client"
)

// checkRecordsUpTo is the most tasks whose records a run view reads to
// find damage. A run's attempt index (one listing) gives every task's
// status without reading a record, so a damaged record would count as the
// status its index entry holds; up to this many tasks the view also reads
// each finished task's record (about 30 ms per thousand, eight at a time)
// and counts the damaged ones as damaged. Larger runs are drawn from the
// index alone, which the page says, with the verify command that checks
// every record; their step and task pages read records and show damage.
const checkRecordsUpTo = 2000

// checkRecords reads the record of every finished task of p, replacing a
// task whose record is damaged by its damaged form (client.Task.Load).
// It reports false, having read nothing, when p has more than
// checkRecordsUpTo tasks.
func checkRecords(ctx context.Context, p *client.Progress) (bool, error) {
	var all []**client.Task
	for _, tasks := range p.Steps {
		for i, t := range tasks {
			if t.Status != client.StatusRunning {
				all = append(all, &tasks[i])
			}
		}
	}
	if len(all) > checkRecordsUpTo {
		return false, nil
	}
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	next := make(chan int)
	for range min(len(all), 8) {
		wg.Go(func() {
			for i := range next {
				full, err := (*all[i]).Load(ctx)
				if err != nil {
					errs[i] = err
					continue
				}
				if full.Status == client.StatusDamaged {
					*all[i] = full
				}
			}
		})
	}
	for i := range all {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errorsIsNotFound(err) {
			return false, err
		}
	}
	return true, nil
}
