// Command cacheflow is the flow of the step cache's end-to-end test: start
// (not cached) takes the parameter n; prep and train are cached, so that
// on Step Functions the state machine decides their hits before their
// Batch jobs; end (not cached: it writes the run's end) reads them.
package main

import (
	"fmt"
	"strings"

	"github.com/stepflow/stepflow"
)

// CacheFlow computes a little from n.
type CacheFlow struct {
	N       int
	Squares []int
	Model   string
	Summary string
}

func newFlow() *stepflow.Flow[CacheFlow] {
	return stepflow.New[CacheFlow]("CacheFlow").
		Param("n", 3, "how many squares").
		Step("start", func(f *CacheFlow, c *stepflow.Context) error { return nil }, stepflow.Next("prep")).
		Step("prep", func(f *CacheFlow, c *stepflow.Context) error {
			f.Squares = nil
			for i := 1; i <= f.N; i++ {
				f.Squares = append(f.Squares, i*i)
			}
			c.Printf("prep ran: %v\n", f.Squares)
			return nil
		}, stepflow.Next("train"), stepflow.Cache()).
		Step("train", func(f *CacheFlow, c *stepflow.Context) error {
			parts := make([]string, len(f.Squares))
			for i, s := range f.Squares {
				parts[i] = fmt.Sprint(s)
			}
			f.Model = "model(" + strings.Join(parts, "+") + ")"
			c.Printf("train ran: %s\n", f.Model)
			return nil
		}, stepflow.Next("end"), stepflow.Cache("v1")).
		Step("end", func(f *CacheFlow, c *stepflow.Context) error {
			f.Summary = fmt.Sprintf("%d squares: %s", f.N, f.Model)
			return nil
		})
}

func main() { stepflow.Main(newFlow()) }
