package flowcmd

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/runner"
	"github.com/stepflow/stepflow/internal/taskcontract"
	"github.com/stepflow/stepflow/internal/usage"
)

func cmdResume(f *Flow) *command.Command {
	var rf runFlags
	var origin string
	configs := ConfigFlag{}
	return &command.Command{
		Name:      "resume",
		UsageLine: "resume [--origin-run-id ID] [--config NAME=FILE] [STEP]",
		Short:     "re-run a failed run, reusing its successful tasks",
		Long: `Resume starts a new run that reuses every task of the origin run that
succeeded (no artifact is copied: the new run's records point at the same
blobs) and runs the rest. With STEP, that step and every step after it run
again even where they succeeded. The origin defaults to the flow's latest
run; the new run records it. Parameters and configs are the origin's, and
so are --max-workers, --max-num-splits and --in-process unless given again.
Resuming a run that was itself a resume reuses what succeeded anywhere in
the chain of origins. A crashed origin is recorded as resumed by the new run.

A config whose frozen value is lost (its blob missing, or damaged and removed
by verify --repair) is restored from --config NAME=FILE, which must hold the
same value; without it resume refuses rather than start a run naming a blob
that is not there.

Exit status: 0 when the new run succeeded, 1 when it failed, 2 on bad input.`,
		Flags: func(fs *flag.FlagSet) {
			rf.register(fs)
			fs.StringVar(&origin, "origin-run-id", "", "run to resume (default: the latest run of the flow)")
			fs.Var(configs, "config", "restore a lost config of the origin from this file: NAME=FILE (repeatable)")
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			g, err := f.Graph()
			if err != nil {
				return err
			}
			if len(args) > 1 {
				return usage.Errorf("resume takes at most one step, got %q", args)
			}
			step := ""
			if len(args) == 1 {
				step = args[0]
				if g.Node(step) == nil {
					return usage.Errorf("resume: step %q does not exist; steps: %v", step, g.Order)
				}
			}
			if origin != "" {
				if err := pathspec.CheckPart(origin); err != nil || strings.ContainsAny(origin, "/") {
					return usage.Errorf("resume: --origin-run-id %q is not a run id (like 20260102-150405-ab12cd); list the runs with '%s runs'", origin, env.Invocation())
				}
			}
			store, err := rf.openStore(ctx, env, f, g, append([]string{"resume"}, args...))
			if err != nil {
				return err
			}
			if origin == "" {
				runs, err := store.Runs().List(ctx)
				if err != nil {
					return err
				}
				// The newest run that is not a spin (spin STEP): a spin
				// re-ran one step, there is nothing after it to resume.
				runs = slices.DeleteFunc(runs, func(r datastore.Run) bool { return r.Spin != "" })
				if len(runs) == 0 {
					return usage.Errorf("resume: flow %s has no runs in %s; start one with '%s run'", f.Def.Name, rf.ds.resolved(), env.Invocation())
				}
				origin = runs[0].ID
			}
			orun, _, err := store.Runs().Get(ctx, origin)
			if err != nil {
				if datastore.IsNotFound(err) {
					return usage.Errorf("resume: run %s of flow %s does not exist; list runs with '%s runs'", origin, f.Def.Name, env.Invocation())
				}
				return err
			}
			if orun.Spin != "" {
				return usage.Errorf("resume: run %s is a spin of %s (one step re-run), not a run to resume; resume the run itself, or spin the step again", origin, orun.Spin)
			}
			// Where the origin's steps ran (--with), unless given again:
			// a run --with batch resumes on AWS Batch.
			if len(rf.with.values) == 0 && orun.Options != nil && len(orun.Options.With) > 0 {
				for _, v := range orun.Options.With {
					if err := rf.with.Set(v); err != nil {
						return usage.Errorf("resume: run %s was started with --with %s, which this binary reads as: %v; give --with again", origin, v, err)
					}
				}
				if rf.batch == nil {
					b, err := rf.batchRuntime(ctx, env, f, g, append([]string{"resume"}, args...))
					if err != nil {
						return err
					}
					if b != nil {
						rf.batch, store = b, b.Store
					}
				}
			}
			opts, err := rf.options(orun.Options)
			if err != nil {
				return err
			}
			chain, err := originChain(ctx, store.Runs(), orun)
			if err != nil {
				return err
			}
			frozen, err := resumeConfigs(ctx, f.Def, store.Blobs(), orun, configs)
			if err != nil {
				return err
			}
			id := newRunID()
			release, err := store.Leases().ClaimResume(ctx, origin, datastore.NewLease(id))
			if err != nil {
				return fmt.Errorf("resume: %w", err)
			}
			defer release()
			// A crashed origin no longer reads as one to resume.
			if err := store.Leases().MarkResumed(ctx, origin, id, time.Now()); err != nil {
				return err
			}
			run := datastore.Run{Flow: f.Def.Name, ID: id, Start: time.Now().UTC(), Params: orun.Params,
				Configs: frozen, Tags: append(localTags(orun.Tags), rf.tags...), User: userName(), Runtime: "local",
				Origin: origin, ResumeStep: step, Graph: g.ShapeJSON(), Options: &opts}
			return startRun(ctx, env, f, g, store, &rf, run, &runner.Resume{Origin: origin, Chain: chain, Rerun: runner.RerunSet(g, step)})
		},
	}
}

// originChain lists the origins of a resumed run's origin, nearest first:
// a task that did not succeed in the origin may have in one of them.
func originChain(ctx context.Context, runs *datastore.Runs, orun datastore.Run) ([]string, error) {
	var chain []string
	seen := map[string]bool{orun.ID: true}
	for id := orun.Origin; id != "" && !seen[id] && len(chain) < 1000; {
		seen[id] = true
		r, _, err := runs.Get(ctx, id)
		if datastore.IsNotFound(err) {
			break // an origin deleted since: the chain ends here
		}
		if err != nil {
			return nil, err
		}
		chain = append(chain, id)
		id = r.Origin
	}
	return chain, nil
}

// localTags drops the production namespace tag of a cloud run: a local
// resume of it is not a production run.
func localTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if !strings.HasPrefix(t, taskcontract.ProductionPrefix) {
			out = append(out, t)
		}
	}
	return out
}
