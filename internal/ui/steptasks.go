package ui

import (
	"context"
	"slices"
	"sync"

	"github.com/stepflow/stepflow/client"
)

// stepTasks returns one page (1-based, clamped) of a step's tasks, those
// with status filter when it is set, each as its latest attempt's record
// holds it, and the number of tasks listed, the page and the number of
// pages. A run with an attempt index is paged from it (one listing, no
// reads) and only the page's records are read, so a page costs the same
// for 200 tasks as for 10,000; a run without one (recorded before
// Stepflow indexed attempts), or a filter on damage, which only the
// records tell, reads every task's record.
func stepTasks(ctx context.Context, run *client.Run, st *client.Step, filter string, page int) ([]*client.Task, int, int, int, error) {
	var all []*client.Task
	p, indexed, err := run.Progress(ctx)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	if indexed && filter != client.StatusDamaged {
		all = p.Steps[st.Name]
	} else {
		if all, err = st.Tasks(ctx); err != nil {
			return nil, 0, 0, 0, err
		}
		indexed = false
	}
	for i, t := range all {
		all[i] = lostRecord(run, t)
	}
	if filter != "" {
		all = slices.DeleteFunc(slices.Clone(all), func(t *client.Task) bool { return t.Status != filter })
	}
	pages := max(1, (len(all)+tasksPerPage-1)/tasksPerPage)
	page = min(max(page, 1), pages)
	lo := (page - 1) * tasksPerPage
	tasks := slices.Clone(all[lo:min(lo+tasksPerPage, len(all))])
	if indexed {
		if err := loadAll(ctx, tasks); err != nil {
			return nil, 0, 0, 0, err
		}
		for i, t := range tasks {
			tasks[i] = lostRecord(run, t)
		}
	}
	return tasks, len(all), page, pages, nil
}

// loadAll replaces each task from a run's attempt index by its record
// (client.Task.Load: damaged when its record is), eight reads at a time.
func loadAll(ctx context.Context, tasks []*client.Task) error {
	errs := make([]error, len(tasks))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(len(tasks), 8) {
		wg.Go(func() {
			for i := range next {
				full, err := tasks[i].Load(ctx)
				if err != nil {
					errs[i] = err
					continue
				}
				tasks[i] = full
			}
		})
	}
	for i := range tasks {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
