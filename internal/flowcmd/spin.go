package flowcmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/inspect"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/task"
	"github.com/stepflow/stepflow/internal/usage"
)

// SpinTag tags the runs of the spin command.
const SpinTag = "spin"

// cmdSpin re-runs one step against the inputs its tasks had in a past run.
func cmdSpin(f *Flow) *command.Command {
	var (
		ds          datastoreFlags
		from        string
		secretsFile string
	)
	return &command.Command{
		Name:      "spin",
		UsageLine: "spin STEP [--from RUN[/TASK]] [--secrets-file FILE] [--datastore-root DIR]",
		Short:     "re-run one step, with its current code, against the inputs of a past run",
		Long: `Spin runs one step of the flow against the inputs its task had in a past
run: the same parent tasks' artifacts (every input of a join), the same
foreach item, the same parameters and configs, but the step's current code.
It runs in a new run tagged "spin" (its record says which run and task it
re-ran), prints the artifacts the step produced as dump does, and runs no
step after it. The past run is not changed.

--from RUN/TASK re-runs that task of STEP (a foreach body's task id, e.g. 2,
or 1.0 in nested foreaches); --from RUN re-runs every task STEP had in RUN;
without --from, every task of STEP in the newest run that has one. RUN may
be "latest", the newest run; both pass over spin runs. The step's secrets come from the environment or --secrets-file,
as for run.

Exit status: 0 when every task succeeded, 1 when one failed (its error on
stderr), 2 on bad input.`,
		Flags: func(fs *flag.FlagSet) {
			ds.register(fs)
			fs.StringVar(&from, "from", "", "the past run, RUN or RUN/TASK (default: the newest run with a task of STEP)")
			fs.StringVar(&secretsFile, "secrets-file", "", "JSON file of secret values, as for run")
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) != 1 {
				return usage.Errorf("spin takes one STEP, got %d arguments; run '%s spin --help'", len(args), env.Invocation())
			}
			g, err := f.Graph()
			if err != nil {
				return err
			}
			node := g.Node(args[0])
			if node == nil {
				return usage.Errorf("spin: step %q does not exist in flow %s; its steps: %s", args[0], f.Def.Name, strings.Join(g.Order, ", "))
			}
			store, err := ds.open(ctx, env, f.Def.Name)
			if err != nil {
				return err
			}
			s := &spinner{env: env, f: f, g: g, node: node, store: store, secretsFile: secretsFile}
			if err := s.resolve(ctx, from); err != nil {
				return err
			}
			recs, err := s.run(ctx)
			if err != nil {
				return err
			}
			return s.report(ctx, &ds, recs)
		},
	}
}

// spinner runs one spin.
type spinner struct {
	env         *command.Env
	f           *Flow
	g           *graph.Graph
	node        *graph.Node
	store       *datastore.Store
	secretsFile string

	origin datastore.Run
	tasks  []datastore.Attempt // the past tasks' latest attempts, in task order
	spin   string              // what the run record says it re-ran
	id     string              // the new run
}

// resolve finds the past run and the tasks of the step to re-run.
func (s *spinner) resolve(ctx context.Context, from string) error {
	step := s.node.Name
	run, taskID, _ := strings.Cut(from, "/")
	if strings.Contains(taskID, "/") {
		return usage.Errorf("spin: --from %q: give RUN or RUN/TASK (the task of step %s, e.g. %s/0)", from, step, run)
	}
	all, err := s.store.Runs().List(ctx)
	if err != nil {
		return err
	}
	// "latest" and the default pass over the spin runs themselves.
	var runs []datastore.Run
	for _, r := range all {
		if r.Spin == "" {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return usage.Errorf("spin: flow %s has no runs in this datastore, so no inputs to re-run %s with; start one with '%s run'", s.f.Def.Name, step, s.env.Invocation())
	}
	switch {
	case run == "" || run == "latest":
		found := false
		for _, r := range runs {
			tasks, err := s.store.Attempts().Tasks(ctx, r.ID, step)
			if err != nil {
				return err
			}
			if len(tasks) > 0 {
				s.origin, found = r, true
				break
			}
			if run == "latest" {
				break
			}
		}
		if !found {
			if run == "latest" {
				return usage.Errorf("spin: the newest run, %s, has no task of step %s (it did not get that far); give an older run with --from RUN", runs[0].ID, step)
			}
			return usage.Errorf("spin: no run of flow %s has a task of step %s yet; run the flow until it reaches %s first", s.f.Def.Name, step, step)
		}
	default:
		if err := pathspec.CheckPart(run); err != nil {
			return usage.Errorf("spin: --from %q: %q is not a run id (like 20260102-150405-ab12cd); list the runs with '%s runs'", from, run, s.env.Invocation())
		}
		r, _, err := s.store.Runs().Get(ctx, run)
		if datastore.IsNotFound(err) {
			return usage.Errorf("spin: run %s of flow %s does not exist; list the runs with '%s runs'", run, s.f.Def.Name, s.env.Invocation())
		}
		if err != nil {
			return err
		}
		s.origin = r
	}
	tasks, err := s.store.Attempts().Tasks(ctx, s.origin.ID, step)
	if err != nil {
		return err
	}
	if len(tasks) == 0 {
		return usage.Errorf("spin: run %s has no task of step %s (it did not get that far); give a run that reached it with --from RUN", s.origin.ID, step)
	}
	if taskID != "" {
		if !slices.Contains(tasks, taskID) {
			return usage.Errorf("spin: run %s has no task %s of step %s; its tasks: %s", s.origin.ID, taskID, step, strings.Join(tasks, ", "))
		}
		tasks = []string{taskID}
	}
	slices.SortFunc(tasks, compareTaskIDs)
	for _, t := range tasks {
		a, err := s.store.Attempts().Latest(ctx, s.origin.ID, step, t)
		if err != nil {
			return fmt.Errorf("spin: read task %s: %w", pathspec.Task(s.origin.ID, step, t), err)
		}
		if s.node.Name != s.g.Start && len(a.Inputs) == 0 {
			return usage.Errorf("spin: task %s has no inputs recorded (a join after a foreach over nothing); re-run the step before it instead", pathspec.Task(s.origin.ID, step, t))
		}
		s.tasks = append(s.tasks, a)
	}
	s.spin = s.origin.ID + "/" + step
	if taskID != "" {
		s.spin += "/" + taskID
	}
	return nil
}

// compareTaskIDs orders task ids by their indices (2 before 10).
func compareTaskIDs(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if len(as[i]) != len(bs[i]) {
			return len(as[i]) - len(bs[i])
		}
		if c := strings.Compare(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return len(as) - len(bs)
}

// run writes the spin's run record and runs its tasks one after the
// other, in this process, and the run's end record.
func (s *spinner) run(ctx context.Context) ([]*datastore.Attempt, error) {
	// The step's secrets, from the environment or the file: bad input now
	// rather than a failed task.
	secretsFile, err := checkStepSecrets(ctx, s.env, s.f.Def, s.node.Step, s.secretsFile)
	if err != nil {
		return nil, err
	}
	s.id = newRunID()
	run := datastore.Run{Flow: s.f.Def.Name, ID: s.id, Start: time.Now().UTC(), Params: s.origin.Params,
		Configs: s.origin.Configs, Tags: append(slices.DeleteFunc(localTags(s.origin.Tags), func(t string) bool { return t == SpinTag }), SpinTag), User: userName(), Runtime: "local",
		Spin: s.spin, Graph: s.g.ShapeJSON()}
	if err := s.store.Runs().Put(ctx, run); err != nil {
		return nil, err
	}
	fmt.Fprintf(s.env.Stderr, "spin run %s: step %s against the inputs of %s (%d task(s))\n", s.id, s.node.Name, s.spin, len(s.tasks))
	if env := s.node.Step.Options.Env; len(env) > 0 {
		defer task.SetEnv(env)()
	}
	var recs []*datastore.Attempt
	var failed []string
	for _, past := range s.tasks {
		var out bytes.Buffer
		ex := &task.Executor{Flow: s.f.Def, Graph: s.g, Store: s.store, Out: io.MultiWriter(&out, s.env.Stderr),
			Secrets: task.LocalSecrets{Getenv: func(k string) string {
				if k == task.EnvSecretsFile {
					return secretsFile
				}
				return s.env.Getenv(k)
			}}}
		inputs := past.Inputs
		if inputs == nil {
			inputs = []string{}
		}
		rec, err := ex.Run(ctx, task.Spec{RunID: s.id, Step: s.node.Name, TaskID: past.Task, Indices: past.Indices, Inputs: inputs})
		if out.Len() > 0 && rec != nil {
			if perr := s.store.Logs().Put(context.WithoutCancel(ctx), s.id, s.node.Name, rec.Task, rec.Attempt, "stdout", &out); perr != nil {
				err = errors.Join(err, perr)
			}
		}
		if err != nil {
			s.end(ctx, err.Error())
			return nil, err
		}
		if rec.Status != datastore.StatusSucceeded {
			failed = append(failed, fmt.Sprintf("%s: %s", pathspec.Task(s.id, s.node.Name, rec.Task), rec.Error))
		}
		recs = append(recs, rec)
	}
	if len(failed) > 0 {
		s.end(ctx, strings.Join(failed, "; "))
		for _, f := range failed {
			fmt.Fprintln(s.env.Stderr, f)
		}
		return recs, &command.FailedError{}
	}
	return recs, s.end(ctx, "")
}

// end writes the spin run's end record: failed with msg, or succeeded.
func (s *spinner) end(ctx context.Context, msg string) error {
	end := datastore.RunEnd{Status: datastore.StatusSucceeded, End: time.Now().UTC()}
	if msg != "" {
		end.Status, end.Error = datastore.StatusFailed, msg
	}
	return s.store.Runs().PutEnd(context.WithoutCancel(ctx), s.id, end)
}

// report prints each task's artifacts as dump does.
func (s *spinner) report(ctx context.Context, ds *datastoreFlags, recs []*datastore.Attempt) error {
	sc := inspect.Scope{Flow: s.f.Def.Name, Root: &ds.root}
	for _, rec := range recs {
		ps := pathspec.Task(s.id, s.node.Name, rec.Task).String()
		in, p, err := sc.OpenTask(ctx, s.env, ps)
		if err != nil {
			return err
		}
		if len(recs) > 1 {
			fmt.Fprintf(s.env.Stdout, "%s:\n", ps)
		}
		if err := in.Dump(ctx, p, -1, "", false, false, ""); err != nil {
			return err
		}
	}
	fmt.Fprintf(s.env.Stderr, "spin run %s succeeded; run %s is unchanged\n", s.id, s.origin.ID)
	return nil
}

// checkStepSecrets is checkSecrets for one step's secrets.
func checkStepSecrets(ctx context.Context, env *command.Env, def *flow.Flow, step *flow.Step, file string) (string, error) {
	one := *def
	one.Secrets = nil
	one.Steps = []*flow.Step{{Name: step.Name, Options: flow.Options{Secrets: def.SecretsOf(step)}}}
	return checkSecrets(ctx, env, &one, file)
}
