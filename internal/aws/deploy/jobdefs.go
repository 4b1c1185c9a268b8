package deploy

import (
	"context"

	"github.com/stepflow/stepflow/internal/aws/jobdef"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/graph"
)

// RegisterJobDefinition registers jd unless an ACTIVE definition of its
// name exists (the name is the hash of its content), as create does, and
// says which: "registered" or "unchanged". run --with batch registers the
// definitions of the steps it submits this way.
func RegisterJobDefinition(ctx context.Context, c *Clients, jd *jobdef.JobDefinition) (string, error) {
	return registerJobDefinition(ctx, c, jd)
}

// QueueArchitectures reads the job queues the steps of g submit to and
// their compute environments, checked as create checks them (a step whose
// platform no compute environment of its queue runs is refused), and
// returns the CPU architectures they run: those the flow image is built
// for.
func QueueArchitectures(ctx context.Context, c *Clients, g *graph.Graph, s statemachine.Settings) (QueueArchs, error) {
	_, archs, err := checkQueues(ctx, c, g, s)
	return archs, err
}
