package inspect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/usage"
)

// cmdTag is the tag command: tag add and tag remove change the tags of a
// run that exists (client Run.AddTags and RemoveTags).
func cmdTag(sc Scope) *command.Command {
	form := "FLOW/RUN"
	if sc.Flow != "" {
		form = "RUN"
	}
	return &command.Command{
		Name:      "tag",
		UsageLine: "tag add|remove [--datastore-root ROOT] " + form + " TAG...",
		Short:     "add tags to a run, or remove them",
		Commands:  []*command.Command{cmdTagEdit(sc, form, true), cmdTagEdit(sc, form, false)},
	}
}

// cmdTagEdit is tag add (add set) or tag remove.
func cmdTagEdit(sc Scope, form string, add bool) *command.Command {
	name, short, long := "add", "add tags to a run", `Add adds each TAG to the run (one it has already is kept once) and prints the
run's tags. A tag is one line of at most 256 characters; tags starting with
"production:" or "resumed:" are Stepflow's own (a deployment's runs, a
resumed run's origin) and cannot be added.`
	if !add {
		name, short, long = "remove", "remove tags from a run", `Remove removes each TAG from the run and prints the run's tags. A tag the run
does not have is bad input, and so is a tag starting with "production:" or
"resumed:": those are Stepflow's own (a deployment's runs, a resumed run's
origin) and cannot be removed.`
	}
	return &command.Command{
		Name:      name,
		UsageLine: "tag " + name + " [--datastore-root ROOT] " + form + " TAG...",
		Short:     short,
		Long: long + `

The run's tags are written in one atomic write of its tags record
(docs/datastore.md); the record the run started with stays as it was.
RUN may be "latest" (the newest run) or "latest-successful" (the newest
that succeeded). 'runs --tag TAG' lists the runs with a tag.`,
		Flags: sc.Root.Register,
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) < 2 {
				return usage.Errorf("tag %s takes %s and one or more tags, got %d argument(s); e.g. '%s tag %s %s best'",
					name, form, len(args), env.Invocation(), name, strings.Replace(form, "RUN", "latest", 1))
			}
			flowName, run := sc.Flow, args[0]
			if sc.Flow == "" {
				f, ps, err := parsePath(args[0], 1, 1, "FLOW/RUN", "HelloFlow/latest")
				if err != nil {
					return err
				}
				flowName, run = f, ps.Run
			} else if strings.Contains(run, "/") {
				return usage.Errorf("run %q is not a run id: give RUN (e.g. latest), then the tags", run)
			}
			in, err := sc.inspector(ctx, env, flowName)
			if err != nil {
				return err
			}
			r, err := in.Flow.Run(ctx, run)
			if errors.Is(err, datastore.ErrCorrupt) {
				return fmt.Errorf("%w; %s", err, in.RepairHint(run))
			}
			if err != nil {
				return notFoundUsage(err, fmt.Sprintf("list the runs with '%s'", in.RunsCmd))
			}
			if add {
				err = r.AddTags(ctx, args[1:]...)
			} else {
				err = r.RemoveTags(ctx, args[1:]...)
			}
			if errors.Is(err, client.ErrBadTag) {
				return usage.Errorf("%v", err)
			}
			if err != nil {
				return err
			}
			tags := strings.Join(r.Tags, ", ")
			if tags == "" {
				tags = "(none)"
			}
			fmt.Fprintf(env.Stdout, "%s: tags %s\n", r.Pathspec(), tags)
			return nil
		},
	}
}
