// Command cacheflow is the flow of the step cache's end-to-end test: start
// (not cached) takes the parameters n and text; prep and train are cached,
// so that on Step Functions the state machine decides their hits before
// their Batch jobs; fan (a foreach, not cached) splits text into words and
// clears it, so that the body sees only its own word change; score, the
// body, is cached, decided per item in the Map (compiled with
// --no-array-jobs); gather joins; end (not cached: it writes the run's end)
// sums up.
package main

import (
	"fmt"
	"strings"

	"github.com/stepflow/stepflow"
)

// CacheFlow computes a little from n and text.
type CacheFlow struct {
	N       int
	Text    string
	Squares []int
	Model   string
	Words   []string
	Score   string
	Scores  []string
	Summary string
}

func newFlow() *stepflow.Flow[CacheFlow] {
	return stepflow.New[CacheFlow]("CacheFlow").
		Param("n", 3, "how many squares").
		Param("text", "a b c", "the words to score").
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
		}, stepflow.Next("fan"), stepflow.Cache("v1")).
		Step("fan", func(f *CacheFlow, c *stepflow.Context) error {
			f.Words, f.Text = strings.Fields(f.Text), ""
			return nil
		}, stepflow.Foreach("Words", "score")).
		Step("score", func(f *CacheFlow, c *stepflow.Context) error {
			f.Score = fmt.Sprintf("%s:%s", strings.ToUpper(stepflow.Item[string](c)), f.Model)
			c.Printf("score ran: %s\n", f.Score)
			return nil
		}, stepflow.Next("gather"), stepflow.Cache()).
		Join("gather", func(f *CacheFlow, c *stepflow.Context, in []*CacheFlow) error {
			f.Scores = nil
			for _, t := range in {
				f.Scores = append(f.Scores, t.Score)
			}
			return nil
		}, stepflow.Next("end"), stepflow.Drop("Score")).
		Step("end", func(f *CacheFlow, c *stepflow.Context) error {
			f.Summary = fmt.Sprintf("%d squares: %s; %s", f.N, f.Model, strings.Join(f.Scores, " "))
			return nil
		})
}

func main() { stepflow.Main(newFlow()) }
