package inspect

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/usage"
)

func cmdVerify(sc Scope) *command.Command {
	var repair bool
	arg := "[FLOW[/RUN]]"
	if sc.Flow != "" {
		arg = "[RUN]"
	}
	return &command.Command{
		Name:      "verify",
		UsageLine: "verify [--repair] [--datastore-root ROOT] " + arg,
		Short:     "check every record and blob of runs, and remove what is damaged",
		Long: `Verify checks runs in full: every record (run, tags, end, heartbeat, resume
claims, every attempt) against its checksum, and every artifact and config blob a
record refers to: header, length and hash (SHA-256; for files, a SHA-256
tree), read to the end. It prints one line per problem (which object, what
is wrong) and a summary. Without
an argument it checks every run (in the stepflow command: of every flow);
RUN may be "latest" or "latest-successful".

A run with no end whose runtime is gone is reported as crashed, and in a
run that succeeded an attempt with logs but no record as a lost record.

Runs stored without their index entry (which runs, flows and latest list)
are found and reported too.

With --repair it removes the damaged blobs, damaged attempt records and a
damaged tags record (the run's tags are then those it started with), so
that 'resume' of the run recomputes them instead of reusing them (a blob
holds content, so the tasks that made it make it again), and restores
missing index entries. A damaged run or end record cannot be rebuilt and is
only reported.

Exit status: 0 when nothing is damaged (or everything found was repaired),
1 when damage remains, 2 on bad input.`,
		Flags: func(fs *flag.FlagSet) {
			sc.Root.Register(fs)
			fs.BoolVar(&repair, "repair", false, "remove damaged blobs and attempt records so that resume recomputes them")
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 1 {
				return usage.Errorf("verify takes at most one %s, got %d arguments", strings.Trim(arg, "[]"), len(args))
			}
			flowName, run := sc.Flow, ""
			if len(args) == 1 {
				if sc.Flow != "" {
					run = args[0]
					if err := checkArg("run id", run); err != nil {
						return err
					}
				} else {
					f, ps, err := parsePath(args[0], 0, 1, "FLOW or FLOW/RUN", "HelloFlow/latest")
					if err != nil {
						return err
					}
					flowName, run = f, ps.Run
				}
			}
			c, err := sc.open(ctx, env)
			if err != nil {
				return err
			}
			all, err := c.Flows(ctx)
			if err != nil {
				return err
			}
			flows := all
			if flowName != "" {
				flows = []string{flowName}
				if sc.Flow == "" && !slices.Contains(all, flowName) {
					return usage.Errorf("flow %q has no runs in datastore %s (its flows: %s); list them with '%s flows'", flowName, c.Root(), listOrNone(all), env.Invocation())
				}
			}
			if len(flows) == 0 {
				fmt.Fprintf(env.Stderr, "no flows in datastore %s\n", c.Root())
				return nil
			}
			root, err := sc.Root.Resolve(env)
			if err != nil {
				return err
			}
			b, err := datastore.Open(ctx, root.Dir, env.Getenv)
			if err != nil {
				return usage.Wrap(OpenError(root, err))
			}
			v := &verifier{env: env, repair: repair, seen: map[string]*datastore.Damage{}, removed: map[string]bool{}}
			for _, name := range flows {
				if err := v.flow(ctx, datastore.NewStore(b, name), run); err != nil {
					return err
				}
			}
			fmt.Fprintf(env.Stdout, "verified %d run(s): %d records, %d blobs; %d problem(s)", v.runs, v.records, v.blobs, v.found)
			if repair {
				fmt.Fprintf(env.Stdout, ", %d repaired", v.repaired)
			}
			fmt.Fprintln(env.Stdout)
			if v.repaired > 0 {
				fmt.Fprintln(env.Stdout, "resume the runs named above to recompute what was removed")
			}
			if v.found > v.repaired {
				return &command.FailedError{}
			}
			return nil
		},
	}
}

// listOrNone joins names for a message, or says "none".
func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// checkArg rejects a path element that is empty or could leave the
// datastore layout, as bad input.
func checkArg(kind, v string) error {
	if v == "" || strings.ContainsAny(v, "/\\\x00") || strings.HasPrefix(v, ".") {
		return usage.Errorf("%s %q is not valid: it must be non-empty, without '/' or '\\', and not start with '.'", kind, v)
	}
	return nil
}

// verifier checks runs and counts what it found.
type verifier struct {
	env     *command.Env
	repair  bool
	seen    map[string]*datastore.Damage
	removed map[string]bool // blobs removed by this verify

	runs, records, blobs, found, repaired int
}

// flow verifies one run of s ("" for all, "latest" for the newest,
// "latest-successful" for the newest that succeeded).
func (v *verifier) flow(ctx context.Context, s *datastore.Store, run string) error {
	runs, damaged, err := s.Runs().ListWithDamage(ctx)
	if err != nil {
		return err
	}
	var ids []string
	switch run {
	case "":
		seen := map[string]bool{}
		for _, r := range runs {
			ids = append(ids, r.ID)
			seen[r.ID] = true
		}
		for _, d := range damaged {
			ids = append(ids, d.ID)
			seen[d.ID] = true
		}
		// Runs stored without an index entry: the index missed them,
		// verify must not (VerifyRun reports the missing entry).
		dirs, err := s.Runs().StoredIDs(ctx)
		if err != nil {
			return err
		}
		for _, id := range dirs {
			if !seen[id] {
				ids = append(ids, id)
			}
		}
	case "latest":
		if len(runs) == 0 {
			return usage.Errorf("flow %s has no readable runs", s.Flow())
		}
		ids = []string{runs[0].ID}
	case client.LatestSuccessful:
		for _, r := range runs {
			if _, end, err := s.Runs().Get(ctx, r.ID); err == nil && end != nil && end.Status == datastore.StatusSucceeded {
				ids = []string{r.ID}
				break
			}
		}
		if ids == nil {
			return usage.Errorf("flow %s has no readable run that succeeded", s.Flow())
		}
	default:
		if _, _, err := s.Runs().Get(ctx, run); errors.Is(err, datastore.ErrNotFound) {
			return usage.Errorf("flow %s has no run %q; list its runs with the runs command", s.Flow(), run)
		}
		ids = []string{run}
	}
	for _, id := range ids {
		res, err := s.VerifyRun(ctx, id, v.seen)
		if err != nil {
			return err
		}
		v.runs++
		v.records += res.Records
		v.blobs += res.Blobs
		for _, d := range res.Damage {
			v.found++
			fmt.Fprintf(v.env.Stdout, "%s/%s: %s\n", s.Flow(), id, d)
			if !v.repair || !d.Repairable() {
				continue
			}
			v.repaired++
			if d.Hash != "" && v.removed[d.Hash] {
				continue // a blob shared by several runs is removed once
			}
			if err := s.Repair(ctx, d); err != nil {
				return err
			}
			if d.Hash != "" {
				v.removed[d.Hash] = true
			}
			if d.Kind == datastore.MissingIndex || d.Kind == datastore.MissingAttemptEntry {
				fmt.Fprintf(v.env.Stdout, "  restored %s\n", d.Key)
				continue
			}
			fmt.Fprintf(v.env.Stdout, "  removed %s\n", d.Key)
		}
	}
	return nil
}
