// Package flowcmd is the command line of a flow binary: check, show, run,
// resume and step, the inspection commands of package inspect scoped to the
// flow, and the commands that other packages register (step-functions, in
// a build that links package internal/aws/sfncmd). Each command lives in
// its own file.
package flowcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/inspect"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/usage"
)

// Flow is the flow a flow binary runs: its definition and, linted once on
// first use, its graph.
type Flow struct {
	Def *flow.Flow

	once     sync.Once
	graph    *graph.Graph
	graphErr error
}

// Graph returns the linted graph of the flow; its error is bad input
// listing every violation.
func (f *Flow) Graph() (*graph.Graph, error) {
	f.once.Do(func() {
		f.graph, f.graphErr = graph.New(f.Def)
		f.graphErr = usage.Wrap(f.graphErr)
	})
	return f.graph, f.graphErr
}

// TaskGraph returns the graph a task runs on. With the fingerprint of the
// definition the runtime linted (the step command's --definition), it
// refuses a definition that differs and trusts that check instead of
// linting again; without one, it is Graph.
func (f *Flow) TaskGraph(definition string) (*graph.Graph, error) {
	if definition == "" {
		return f.Graph()
	}
	if got := f.Def.Fingerprint(); got != definition {
		return nil, usage.Errorf("this binary's definition of flow %s (fingerprint %s) is not the one the run was started with (%s): the flow binary was rebuilt or replaced during the run; resume the run with the current binary ('resume' starts a new run that reuses what succeeded)",
			f.Def.Name, got, definition)
	}
	return graph.Trusted(f.Def), nil
}

// An Extension adds to every flow binary of a program that imports the
// package registering it, like a database/sql driver: the AWS commands
// and the DynamoDB bookkeeping come this way, so a build without them
// never links the AWS SDK.
type Extension struct {
	// Name names the extension in messages.
	Name string
	// Commands returns the commands it adds.
	Commands func(f *Flow) []*command.Command
	// Bookkeeper opens the bookkeeping that a task of a cloud run writes
	// (STEPFLOW_DYNAMODB_TABLE), or returns nil when the environment asks
	// for none.
	Bookkeeper func(ctx context.Context, getenv func(string) string) (task.Bookkeeper, error)
	// Secrets is the source of a cloud task's secrets (AWS Secrets
	// Manager), with the task's environment.
	Secrets func(getenv func(string) string) task.SecretSource
	// Batch makes the runtime of the steps a local run submits to AWS
	// Batch (run --with batch, stepflow.OnBatch): the executor, and the
	// S3 datastore root the run uses.
	Batch func(ctx context.Context, env *command.Env, req BatchRequest) (*BatchRuntime, error)
}

var extensions struct {
	sync.Mutex
	list []Extension
}

// Register adds an extension to the flow binaries of this program. Call it
// from an init function.
func Register(e Extension) {
	extensions.Lock()
	defer extensions.Unlock()
	extensions.list = append(extensions.list, e)
}

func registered() []Extension {
	extensions.Lock()
	defer extensions.Unlock()
	return append([]Extension(nil), extensions.list...)
}

// Commands returns the commands of the flow binary of f.
func Commands(f *Flow) []*command.Command {
	cmds := []*command.Command{cmdCheck(f), cmdShow(f), cmdRun(f), cmdResume(f), cmdSpin(f), cmdStep(f)}
	cmds = append(cmds, inspect.Commands(inspect.Scope{Flow: f.Def.Name, Root: &inspect.Root{}})...)
	have := map[string]bool{}
	for _, e := range registered() {
		if e.Commands != nil {
			for _, c := range e.Commands(f) {
				have[c.Name] = true
				cmds = append(cmds, c)
			}
		}
	}
	if !have[StepFunctionsCommand] {
		cmds = append(cmds, cmdNotBuilt(StepFunctionsCommand, "deploy and operate the flow on AWS Step Functions and AWS Batch"))
	}
	return cmds
}

// StepFunctionsCommand names the command group of package sfncmd.
const StepFunctionsCommand = "step-functions"

// AWSBuildTag is the build tag that links the AWS commands and the S3
// datastore into a flow binary: its only effect is the import of package
// internal/aws/sfncmd (stepflow's aws.go).
const AWSBuildTag = "stepflow_aws"

// cmdNotBuilt stands for a command group this build leaves out: it says
// how to build the flow with it.
func cmdNotBuilt(name, short string) *command.Command {
	return &command.Command{
		Name:    name,
		Short:   short + " (needs -tags " + AWSBuildTag + ")",
		RawArgs: true,
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			line := strings.TrimSpace(name + " " + strings.Join(args, " "))
			pkg := mainPackage()
			why := fmt.Sprintf("the %s commands are not in this build of the flow: they link the AWS SDK, which would slow the start of every local task; run them from the AWS build:\n  go run -tags %s %s %s\nor build it once: go build -tags %s -o %s %s",
				name, AWSBuildTag, pkg, line, AWSBuildTag, env.Args0, pkg)
			if len(args) == 0 || slices.ContainsFunc(args, command.IsHelp) {
				fmt.Fprintf(env.Stdout, "usage: %s %s <command> [flags] [arguments]\n\n%s%s.\n", env.Args0, name, strings.ToUpper(why[:1]), why[1:])
				if len(args) == 0 {
					return usage.Errorf("no command given; run '%s %s --help'", env.Invocation(), name)
				}
				return nil
			}
			return usage.Errorf("%s", why)
		},
	}
}

// mainPackage is the import path of the program's main package, from its
// build information, or a placeholder.
func mainPackage() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Path != "" && bi.Path != "command-line-arguments" && !strings.HasSuffix(bi.Path, ".test") {
		return bi.Path
	}
	return "./path/to/flow"
}

// Main runs the command line of a flow binary and exits.
func Main(def *flow.Flow) {
	growStack()
	ctx, stop := signalContext(os.Args[1:], os.Getenv)
	env := command.OSEnv(command.ProgName(strings.ToLower(def.Name)))
	code := command.Run(ctx, env, commandsFor(&Flow{Def: def}, os.Args[1:]), os.Args[1:])
	stop()
	os.Exit(code)
}

// commandsFor returns the commands of the flow binary of f that the
// command line args may run: the task contract's step command alone when
// it is args' command (every task process runs it, and would otherwise
// build every other command and its help for nothing), else all of them.
func commandsFor(f *Flow, args []string) []*command.Command {
	if len(args) > 0 && args[0] == "step" {
		return []*command.Command{cmdStep(f)}
	}
	return Commands(f)
}

// Run runs the command line args of the flow binary of def and returns the
// exit code.
func Run(ctx context.Context, def *flow.Flow, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &command.Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv, Args0: command.ProgName(strings.ToLower(def.Name))}
	return command.Run(ctx, env, Commands(&Flow{Def: def}), args)
}

// bookkeeper opens the bookkeeping of a cloud task from the registered
// extensions; a cloud task in a build without one is bad input.
func bookkeeper(ctx context.Context, getenv func(string) string) (task.Bookkeeper, error) {
	for _, e := range registered() {
		if e.Bookkeeper == nil {
			continue
		}
		b, err := e.Bookkeeper(ctx, getenv)
		if b != nil || err != nil {
			return b, err
		}
	}
	if getenv("STEPFLOW_DYNAMODB_TABLE") != "" {
		return nil, usage.Errorf("this task belongs to a run on AWS Step Functions (STEPFLOW_DYNAMODB_TABLE is set), and this build of the flow cannot write its DynamoDB bookkeeping; deploy the code package that 'step-functions create' builds (with -tags %s)", AWSBuildTag)
	}
	return nil, nil
}

// growStack grows the calling goroutine's stack, while it is shallow, to
// hold a 16 KiB frame: a command then runs without its stack being copied
// again and again as its calls get deeper, each copy walking every frame
// (a profile of no-op task processes showed these copies as a visible
// share of their CPU; one early growth costs less).
//
//go:noinline
func growStack() byte {
	var pad [16 << 10]byte
	return keep(pad[:])
}

//go:noinline
func keep(b []byte) byte { return b[len(b)-1] }
