package sfncmd

import (
	"fmt"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
)

// deadLetterHint tells where the starts that the schedule and the event
// rules could not make are kept: the dead-letter queue of the settings,
// or nowhere until one is set (docs/deploy.md, "Starts that failed").
func deadLetterHint(s statemachine.Settings) string {
	if s.DeadLetterQueue == "" {
		return fmt.Sprintf("a start the schedule or an event rule could not make is not kept: deploy with a dead-letter queue (%s; the stack's output DeadLetterQueue) to keep it", statemachine.How("dead-letter-queue"))
	}
	return fmt.Sprintf("a start the schedule or an event rule could not make is kept in the dead-letter queue %s (docs/deploy.md, \"Starts that failed\")", s.DeadLetterQueue)
}
