// Package command is the small command-line framework of Stepflow's
// programs (a flow binary, the stepflow inspector): commands and
// subcommands, flags that may follow arguments, help, and exit codes.
// Run dispatches a command line and maps its error to an exit code: 2 for
// bad input (usage.Error), 1 for anything else, 0 for success and --help.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/stepflow/stepflow/internal/usage"
)

// Exit codes of a flow binary.
const (
	ExitOK     = 0 // success
	ExitFailed = 1 // the run (or task) failed
	ExitUsage  = 2 // bad input: definition, flag, parameter, configuration
)

// Env is what a command runs with.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Args0  string // program name for messages
	// Cmd is how a user runs this program again, for the command lines
	// that messages suggest ("go run ./examples/hello", "./hello"); empty
	// means Args0, or for OSEnv, how the process was started.
	Cmd string

	fromOS bool
}

// Invocation returns the command line prefix that runs this program
// again: Cmd; else, for the process's own Env, how it was started; else
// Args0. It is worked out when a message needs it, not at start-up.
func (e *Env) Invocation() string {
	if e.Cmd != "" {
		return e.Cmd
	}
	if e.fromOS {
		if c := invocation(); c != "" {
			return c
		}
	}
	return e.Args0
}

// IsProcess reports whether e is the running process's own Env (OSEnv),
// not one a caller made to run a command inside its own process: a
// command may then tune what belongs to the whole process.
func (e *Env) IsProcess() bool { return e.fromOS }

// OSEnv returns the Env of the running process, named args0.
func OSEnv(args0 string) *Env {
	return &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Args0: args0, fromOS: true}
}

// invocation is how the process was started, for suggested command lines:
// "go run PKG" for a binary that go run built (PKG relative to the
// working directory when the main package is below it), the path as typed
// for one started by path ("./hello"), or "" for one found on $PATH.
func invocation() string {
	if len(os.Args) == 0 {
		return ""
	}
	a := os.Args[0]
	if strings.Contains(a, string(filepath.Separator)+"go-build") {
		bi, ok := debug.ReadBuildInfo()
		if !ok || bi.Path == "" || bi.Path == "command-line-arguments" {
			return ""
		}
		if rel, ok := strings.CutPrefix(bi.Path, bi.Main.Path+"/"); ok && bi.Main.Path != "" {
			if fi, err := os.Stat(rel); err == nil && fi.IsDir() {
				return "go run ./" + rel
			}
		}
		return "go run " + bi.Path
	}
	if !strings.ContainsRune(a, filepath.Separator) {
		return ""
	}
	if filepath.IsAbs(a) {
		if p, err := exec.LookPath(filepath.Base(a)); err == nil && p == a {
			return "" // found on $PATH: its name runs it
		}
	}
	return a
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

// Run runs the command line args against cmds and returns the exit code.
func Run(ctx context.Context, env *Env, cmds []*Command, args []string) int {
	return Report(env, Dispatch(ctx, env, &Command{Name: env.Args0, Commands: cmds}, args))
}

// ProgName is the program name for messages: the base name of os.Args[0],
// unless that is a go run or go test artifact, then fallback.
func ProgName(fallback string) string {
	if len(os.Args) > 0 {
		if n := baseName(os.Args[0]); n != "" && !strings.HasPrefix(n, "__") && n != "main" && !strings.HasSuffix(n, ".test") {
			return n
		}
	}
	return fallback
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	return p
}

// Report prints err on env.Stderr as a command's outcome and returns the
// exit code.
func Report(env *Env, err error) int {
	if err == nil {
		return ExitOK
	}
	var fe *FailedError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case usage.Is(err):
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Args0, err)
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

// IsHelp reports whether arg asks for help: help, -h, -help or --help.
func IsHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

// Dispatch runs the command that args name below parent.
func Dispatch(ctx context.Context, env *Env, parent *Command, args []string) error {
	return dispatch(ctx, env, parent, nil, args)
}

func dispatch(ctx context.Context, env *Env, parent *Command, path []string, args []string) error {
	path = append(path, parent.Name)
	if len(args) == 0 || IsHelp(args[0]) {
		if len(args) > 1 && args[0] == "help" {
			return dispatch(ctx, env, parent, path[:len(path)-1], append(args[1:], "--help"))
		}
		printCommands(env.Stdout, parent, path)
		if len(args) == 0 {
			return usage.Errorf("no command given; run '%s --help' for the list", strings.Join(path, " "))
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
		return usage.Errorf("unknown command %q; run '%s --help' for the list%s", args[0],
			strings.Join(path, " "), suggest(args[0], parent.Commands))
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
			printFlags(env.Stdout, fs)
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
	help := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = help }()
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			help()
			return err
		}
		if err != nil {
			return usage.Errorf("%s: %v; run '%s --help' for the flags", fs.Name(), err, fs.Name())
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

// printFlags lists fs's flags as users type them, with two dashes:
//
//	--format string
//	    	output format (default "text")
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, help := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if kind != "" {
			line += " " + kind
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(help, "\n", "\n    \t"))
		switch f.DefValue {
		case "", "0", "false", "[]":
		default:
			if kind == "string" {
				fmt.Fprintf(w, " (default %q)", f.DefValue)
			} else {
				fmt.Fprintf(w, " (default %v)", f.DefValue)
			}
		}
		fmt.Fprintln(w)
	})
}
