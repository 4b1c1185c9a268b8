// Command stepflow is the standalone inspector: it reads the runs of every
// flow in a datastore, with no flow code.
//
//	stepflow flows
//	stepflow runs FLOW [--json]
//	stepflow show FLOW[/RUN[/STEP]]
//	stepflow logs FLOW/RUN/STEP/TASK [--attempt N] [--stream stdout|stderr]
//	stepflow dump FLOW/RUN/STEP/TASK [ARTIFACT] [--json] [--attempt N]
//
// The datastore is --datastore-root DIR, else $STEPFLOW_DATASTORE_ROOT,
// else ./.stepflow. RUN may be "latest". Bad input exits with status 2.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
