package inspect

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/usage"
)

// inspectorPackage is the import path of the stepflow inspector, for the
// command lines a flow binary prints (go run ...).
const inspectorPackage = "github.com/stepflow/stepflow/cmd/stepflow"

// cmdCard is the card command of a flow binary. Cards are rendered by the
// viewers (`stepflow card view`, `stepflow ui`), whose renderer a flow
// binary, started by every task, does not link: it prints the stepflow
// command line that does what was asked, and exits 2.
func cmdCard(sc Scope) *command.Command {
	return &command.Command{
		Name:      "card",
		UsageLine: "card view [-o FILE] [--attempt N] [--json] [--default] RUN/STEP/TASK",
		Short:     "show the card (report) a task made: with 'stepflow card view'",
		RawArgs:   true,
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			help := slices.ContainsFunc(args, command.IsHelp)
			line := cardViewLine(sc.Flow, slices.DeleteFunc(slices.Clone(args), command.IsHelp))
			why := fmt.Sprintf("cards are shown by the stepflow inspector, not by the flow binary (its renderer would be linked into every task); run:\n  stepflow %s\nor, without stepflow installed:\n  go run %s %s", line, inspectorPackage, line)
			if help {
				fmt.Fprintf(env.Stdout, "usage: %s card view [-o FILE] [--attempt N] [--json] [--default] RUN/STEP/TASK\n\n%s%s.\n", env.Args0, strings.ToUpper(why[:1]), why[1:])
				return nil
			}
			return usage.Errorf("%s", why)
		},
	}
}

// cardViewLine returns the arguments of the stepflow command that views
// the card args (those of a flow binary's card command) name: card view,
// the same flags, and the task's pathspec with the flow's name before it.
func cardViewLine(flow string, args []string) string {
	if len(args) > 0 && args[0] == "view" {
		args = args[1:]
	}
	out := []string{"card", "view"}
	path := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case !strings.HasPrefix(a, "-") && !path:
			out, path = append(out, shellWord(flow+"/"+a)), true
		case takesValue(a) && i+1 < len(args):
			out = append(out, a, shellWord(args[i+1]))
			i++
		default:
			out = append(out, shellWord(a))
		}
	}
	if !path {
		out = append(out, flow+"/RUN/STEP/TASK")
	}
	return strings.Join(out, " ")
}

// takesValue reports whether a is a flag of card view that takes a value
// in the next argument.
func takesValue(a string) bool {
	switch strings.TrimLeft(a, "-") {
	case "o", "output", "attempt", "datastore-root":
		return !strings.Contains(a, "=")
	}
	return false
}

// shellWord quotes s for a POSIX shell when it holds anything but letters,
// digits and -_./:=@%+,.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
