package graphtext

import (
	"fmt"
	"io"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

// writeSecrets lists the flow's secrets for show: each name, its ARN,
// the variable that gives it to a local run and the steps that read it.
// Values are never known here.
func writeSecrets(w io.Writer, g *graph.Graph) {
	type use struct {
		sec   flow.Secret
		steps []string
	}
	var uses []*use
	for _, name := range g.Order {
		for _, sec := range g.Flow.SecretsOf(g.Nodes[name].Step) {
			var u *use
			for _, x := range uses {
				if x.sec == sec {
					u = x
				}
			}
			if u == nil {
				u = &use{sec: sec}
				uses = append(uses, u)
			}
			u.steps = append(u.steps, name)
		}
	}
	if len(uses) == 0 {
		return
	}
	fmt.Fprintln(w, "\nsecrets:")
	for _, u := range uses {
		steps := "steps " + strings.Join(u.steps, ",")
		if len(u.steps) == len(g.Order) {
			steps = "every step"
		}
		fmt.Fprintf(w, "  %s: %s (locally %s) -> %s\n", u.sec.Name, u.sec.ARN, flow.SecretEnv(u.sec.Name), steps)
	}
}
