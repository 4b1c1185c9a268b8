package flowcmd

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/taskcontract"
)

// TaskSignalDelay is how long a task process runs before SIGINT and
// SIGTERM cancel its context (the step sees ctx.Done, and the attempt is
// recorded as interrupted by the task itself). Before that, either signal
// ends the process at once, as it does any program without a handler, and
// the supervisor that sent it (the local runtime, or the step command of
// an AWS Batch job) records the interruption: nothing of a task that ran
// for less than this is worth a graceful stop.
//
// Listening for signals costs a Go process two goroutines and a locked
// thread of its own at start: a noticeable share of a no-op task process,
// paid by every task of a foreach. Most such tasks end before the delay,
// so they never pay.
const TaskSignalDelay = 20 * time.Millisecond

// signalContext returns the context a flow binary runs the command line
// args with, cancelled by SIGINT or SIGTERM, and its stop function. A task
// process (the step command as the runtime and the job definitions invoke
// it, `step STEP ...`, not the supervising step of a Batch job) listens
// only after TaskSignalDelay; a request for help prints and exits and
// does not listen at all; every other command listens from the start.
func signalContext(args []string, getenv func(string) string) (context.Context, context.CancelFunc) {
	switch {
	case len(args) == 0 || command.IsHelp(args[0]):
		return context.WithCancel(context.Background())
	case args[0] == "step" && getenv(taskcontract.EnvCaptureLogs) != taskcontract.CaptureLogs:
		return notifyAfter(context.Background(), TaskSignalDelay, os.Interrupt, syscall.SIGTERM)
	}
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// notifyAfter is signal.NotifyContext started after delay: the context is
// cancelled by one of sigs once delay has passed, or by stop.
func notifyAfter(parent context.Context, delay time.Duration, sigs ...os.Signal) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	var mu sync.Mutex
	stopped := false
	stopSignals := func() {}
	t := time.AfterFunc(delay, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		sctx, sstop := signal.NotifyContext(ctx, sigs...)
		stopAfter := context.AfterFunc(sctx, cancel)
		stopSignals = func() { stopAfter(); sstop() }
	})
	return ctx, func() {
		t.Stop()
		mu.Lock()
		stopped = true
		stopSignals()
		mu.Unlock()
		cancel()
	}
}
