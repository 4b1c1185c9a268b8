// Command stepflow is the standalone inspector: it reads the runs of every
// flow in a datastore, a directory or an S3 bucket, with no flow code.
//
//	stepflow flows
//	stepflow runs FLOW [--json]
//	stepflow show FLOW[/RUN[/STEP]]
//	stepflow logs FLOW/RUN/STEP/TASK [--attempt N] [--stream stdout|stderr]
//	stepflow dump FLOW/RUN/STEP/TASK [ARTIFACT] [--json] [--attempt N]
//	stepflow card view FLOW/RUN/STEP/TASK [-o FILE] [--json] [--attempt N]
//	stepflow tag add|remove FLOW/RUN TAG...
//	stepflow ui [--addr 127.0.0.1:8080] [--open]
//	stepflow configure aws
//
// The datastore is --datastore-root ROOT (before the command or among its
// flags), else $STEPFLOW_DATASTORE_ROOT, else ./.stepflow; ROOT is a
// directory or s3://bucket/prefix. RUN may be "latest" (the newest run)
// or "latest-successful" (the newest that succeeded). Bad input exits
// with status 2.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	_ "github.com/stepflow/stepflow/client/s3client" // s3:// datastores
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/inspect"
	"github.com/stepflow/stepflow/internal/ui"
	"github.com/stepflow/stepflow/internal/usage"
)

const prog = "stepflow"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run runs the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &command.Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv, Args0: prog}
	root := &inspect.Root{}
	// Accept the root before the command too: stepflow --datastore-root DIR runs FLOW.
	if len(args) > 0 && (args[0] == "--datastore-root" || args[0] == "-datastore-root") {
		if len(args) < 2 {
			return command.Report(env, usage.Errorf("--datastore-root needs a directory or s3://bucket/prefix"))
		}
		root.Dir, args = args[1], args[2:]
	} else if len(args) > 0 {
		for _, p := range []string{"--datastore-root=", "-datastore-root="} {
			if v, ok := strings.CutPrefix(args[0], p); ok {
				root.Dir, args = v, args[1:]
			}
		}
	}
	cmds := append(inspect.Commands(inspect.Scope{Root: root}), cmdCard(root), ui.Command(root), cmdConfigure())
	return command.Run(ctx, env, cmds, args)
}
