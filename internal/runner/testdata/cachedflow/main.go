// Command cachedflow measures the step cache: a foreach of N tasks that
// each work for a while, their join and end, all cached. Every step
// function that runs appends a line to the file CACHEDFLOW_LOG names, so
// a benchmark counts the task processes that ran.
package main

import (
	"os"
	"time"

	"github.com/stepflow/stepflow"
)

// CachedFlow is the state.
type CachedFlow struct {
	N     int
	Work  time.Duration
	Items []int
	Item  int
	Sum   int
}

// ran appends the step's name to the log.
func ran(step string) error {
	p := os.Getenv("CACHEDFLOW_LOG")
	if p == "" {
		return nil
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(step + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func main() {
	stepflow.Main(stepflow.New[CachedFlow]("CachedFlow").
		Param("n", 100, "foreach width").
		Param("work", 50*time.Millisecond, "how long each item works").
		Step("start", func(f *CachedFlow, c *stepflow.Context) error {
			f.Items = make([]int, f.N)
			for i := range f.Items {
				f.Items[i] = i
			}
			return ran("start")
		}, stepflow.Foreach("Items", "work")).
		Step("work", func(f *CachedFlow, c *stepflow.Context) error {
			time.Sleep(f.Work)
			f.Item = stepflow.Item[int](c) * 2
			return ran("work")
		}, stepflow.Next("join"), stepflow.Cache()).
		Join("join", func(f *CachedFlow, c *stepflow.Context, in []*CachedFlow) error {
			for _, t := range in {
				f.Sum += t.Item
			}
			return ran("join")
		}, stepflow.Next("end"), stepflow.Drop("Item"), stepflow.Cache()).
		Step("end", func(f *CachedFlow, c *stepflow.Context) error { return ran("end") }, stepflow.Cache()))
}
