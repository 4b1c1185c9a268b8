// Package cli is the command line of a flow binary: check, show, run,
// resume, step, logs, dump, runs and step-functions. Each command lives in
// its own file; Run dispatches and maps errors to exit codes.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

// Exit codes of a flow binary.
const (
	ExitOK     = 0 // success
	ExitFailed = 1 // the run (or task) failed
	ExitUsage  = 2 // bad input: definition, flag, parameter, configuration
)

// Env is what a command runs with.
type Env struct {
	Flow   *flow.Flow
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Args0  string // program name for messages
	// SourceDir is the directory of the flow's main package, when known:
	// the AWS build and the code package are compiled from it.
	SourceDir string

	graph    *graph.Graph
	graphErr error
	checked  bool
}

// Graph returns the linted graph of the flow; its error is a usage error
// listing every violation.
func (e *Env) Graph() (*graph.Graph, error) {
	if !e.checked {
		e.checked = true
		e.graph, e.graphErr = graph.New(e.Flow)
		if e.graphErr != nil {
			e.graphErr = &UsageError{Err: e.graphErr}
		}
	}
	return e.graph, e.graphErr
}

// Command is one command of the flow binary.
type Command struct {
	Name      string
	UsageLine string // after the program name, e.g. "show [--format text|mermaid|dot]"
	Short     string // one line for the command list
	Long      string // the help text
	// Flags declares the command's flags on fs; it may be nil.
	Flags func(fs *flag.FlagSet)
	// Run executes the command with the flags parsed; args are the
	// remaining arguments.
	Run func(ctx context.Context, env *Env, args []string) error
	// Commands are subcommands (step-functions create, ...).
	Commands []*Command
	// RawArgs skips flag parsing: Run receives every argument (run parses
	// its own flags, which depend on the flow's parameters).
	RawArgs bool
}

// commands returns the flow binary's commands.
func commands() []*Command {
	return []*Command{
		cmdCheck(),
		cmdShow(),
		cmdRun(),
		cmdResume(),
		cmdStep(),
		cmdLogs(), cmdDump(), cmdRuns(),
		cmdStepFunctions(),
	}
}

// Main runs the command line of a flow binary and exits. sourceDir is the
// directory of the flow's main package, when known ("" otherwise).
func Main(f *flow.Flow, sourceDir string) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &Env{Flow: f, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		Args0: progName(f), SourceDir: sourceDir}, os.Args[1:])
	stop()
	os.Exit(code)
}

// Run runs the command line args for flow f and returns the exit code.
func Run(ctx context.Context, f *flow.Flow, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return run(ctx, &Env{Flow: f, Stdout: stdout, Stderr: stderr, Getenv: getenv, Args0: progName(f)}, args)
}

func run(ctx context.Context, env *Env, args []string) int {
	err := dispatch(ctx, env, &Command{Name: env.Args0, Commands: commands()}, nil, args)
	if errors.Is(err, errNeedAWS) {
		err = reexecAWS(ctx, env, args)
	}
	return report(env, err)
}

func progName(f *flow.Flow) string {
	if len(os.Args) > 0 {
		if n := baseName(os.Args[0]); n != "" && !strings.HasPrefix(n, "__") && n != "main" && !strings.HasSuffix(n, ".test") {
			return n
		}
	}
	return strings.ToLower(f.Name)
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	return p
}

func report(env *Env, err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	var fe *FailedError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Args0, ue.Err)
		return ExitUsage
	case errors.As(err, &fe):
		if fe.Err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n", env.Args0, fe.Err)
		}
		return ExitFailed
	default:
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Args0, err)
		return ExitFailed
	}
}

func dispatch(ctx context.Context, env *Env, parent *Command, path []string, args []string) error {
	path = append(path, parent.Name)
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 && args[0] == "help" {
			return dispatch(ctx, env, parent, path[:len(path)-1], append(args[1:], "--help"))
		}
		printCommands(env.Stdout, parent, path)
		if len(args) == 0 {
			return &UsageError{Err: fmt.Errorf("no command given; run '%s --help' for the list", strings.Join(path, " "))}
		}
		return nil
	}
	var cmd *Command
	for _, c := range parent.Commands {
		if c.Name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		return &UsageError{Err: fmt.Errorf("unknown command %q; run '%s --help' for the list%s", args[0],
			strings.Join(path, " "), suggest(args[0], parent.Commands))}
	}
	if len(cmd.Commands) > 0 {
		return dispatch(ctx, env, cmd, path, args[1:])
	}
	if cmd.RawArgs {
		return cmd.Run(ctx, env, args[1:])
	}
	fs := NewFlagSet(strings.Join(append(path, cmd.Name), " "), env, cmd)
	if cmd.Flags != nil {
		cmd.Flags(fs)
	}
	if err := ParseFlags(fs, args[1:]); err != nil {
		return err
	}
	return cmd.Run(ctx, env, fs.Args())
}

// NewFlagSet returns a flag set whose --help prints the command's help.
func NewFlagSet(name string, env *Env, cmd *Command) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(env.Stdout, "usage: %s %s\n\n", strings.TrimSuffix(name, " "+cmd.Name), cmd.UsageLine)
		if cmd.Long != "" {
			fmt.Fprintln(env.Stdout, strings.TrimSpace(cmd.Long))
		}
		var flags []string
		fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f.Name) })
		if len(flags) > 0 {
			fmt.Fprintln(env.Stdout, "\nFlags:")
			fs.SetOutput(env.Stdout)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
	}
	return fs
}

// ParseFlags parses args, allowing flags after positional arguments
// ("step start --run-id X"), and turns flag errors into usage errors. The
// positional arguments are left in fs.Args().
func ParseFlags(fs *flag.FlagSet, args []string) error {
	// The flag package calls Usage itself on -h and on every error: print
	// it here instead, once, and only for -h (an error prints one line).
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return err
		}
		if err != nil {
			return &UsageError{Err: fmt.Errorf("%s: %v; run '%s --help' for the flags", fs.Name(), err, fs.Name())}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// Leave the positional arguments where fs.Args() finds them.
	return fs.Parse(append([]string{"--"}, pos...))
}

func printCommands(w io.Writer, c *Command, path []string) {
	fmt.Fprintf(w, "usage: %s <command> [flags] [arguments]\n\nCommands:\n", strings.Join(path, " "))
	cmds := append([]*Command(nil), c.Commands...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	for _, s := range cmds {
		fmt.Fprintf(w, "  %-16s %s\n", s.Name, s.Short)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", strings.Join(path, " "))
}

func suggest(name string, cmds []*Command) string {
	for _, c := range cmds {
		if strings.HasPrefix(c.Name, name) || strings.HasPrefix(name, c.Name) {
			return fmt.Sprintf(" (did you mean %q?)", c.Name)
		}
	}
	return ""
}

// UsageError is bad input from the user: exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// FailedError is a failed run or task: exit code 1. A nil Err prints
// nothing (the failure was already reported).
type FailedError struct{ Err error }

func (e *FailedError) Error() string {
	if e.Err == nil {
		return "failed"
	}
	return e.Err.Error()
}
func (e *FailedError) Unwrap() error { return e.Err }
