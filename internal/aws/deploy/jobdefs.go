package deploy

import (
	"context"

	"github.com/stepflow/stepflow/internal/aws/jobdef"
)

// RegisterJobDefinition registers jd unless an ACTIVE definition of its
// name exists (the name is the hash of its content), as create does, and
// says which: "registered" or "unchanged". run --with batch registers the
// definitions of the steps it submits this way.
func RegisterJobDefinition(ctx context.Context, c *Clients, jd *jobdef.JobDefinition) (string, error) {
	return registerJobDefinition(ctx, c, jd)
}
