// Command cacheflow is the flow of the step cache's script: start (not
// cached) reads its words from words.txt in the working directory; upper
// (cached) runs once per word and prints it; join (cached with a version)
// and end (cached) follow. CACHEFLOW_FAIL=end makes end fail.
package main

import (
	"errors"
	"os"
	"strings"

	"github.com/stepflow/stepflow"
)

// CacheFlow upper-cases words.
type CacheFlow struct {
	Words  []string
	Upper  string
	Uppers []string
}

func newFlow() *stepflow.Flow[CacheFlow] {
	return stepflow.New[CacheFlow]("CacheFlow").
		Step("start", func(f *CacheFlow, c *stepflow.Context) error {
			data, err := os.ReadFile("words.txt")
			if err != nil {
				return err
			}
			f.Words = strings.Fields(string(data))
			return nil
		}, stepflow.Foreach("Words", "upper")).
		Step("upper", func(f *CacheFlow, c *stepflow.Context) error {
			f.Upper = strings.ToUpper(stepflow.Item[string](c))
			c.Printf("upper ran for %s\n", f.Upper)
			return nil
		}, stepflow.Next("join"), stepflow.Cache()).
		Join("join", func(f *CacheFlow, c *stepflow.Context, in []*CacheFlow) error {
			for _, t := range in {
				f.Uppers = append(f.Uppers, t.Upper)
			}
			c.Printf("join ran\n")
			return nil
		}, stepflow.Next("end"), stepflow.Drop("Upper"), stepflow.Cache("v1")).
		Step("end", func(f *CacheFlow, c *stepflow.Context) error {
			if os.Getenv("CACHEFLOW_FAIL") == "end" {
				return errors.New("planted failure in end")
			}
			c.Printf("end ran: %s\n", strings.Join(f.Uppers, " "))
			return nil
		}, stepflow.Cache())
}

func main() { stepflow.Main(newFlow()) }
