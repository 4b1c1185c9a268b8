package stepflowtest

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/pathspec"
	"github.com/stepflow/stepflow/internal/task"
)

// checkInputs is how many inputs CheckJoins gives each join.
const checkInputs = 3

// CheckJoins finds, in one go, every artifact a join of f would leave
// neither set nor dropped, the mistake that otherwise fails a run only
// when that join meets two inputs that disagree, after its whole split has
// run:
//
//	func TestJoins(t *testing.T) { stepflowtest.CheckJoins(t, newFlow()) }
//
// It runs f once, as Run does (opts are Run's: give parameters for which
// every foreach has at least one item), to learn which artifacts the steps
// between each split and its join change: those are the ones a join's
// inputs can disagree on. Then it calls each join's function on three
// inputs, copies of the join's inputs in that run, that differ in every
// one of those artifacts (made-up values of their types: numbers, strings,
// slices, maps, structs, times, Lazy values, files), with the join's state
// starting as in a run: the artifacts the inputs agree on, and zero for
// the others and for those named in Drop. An artifact they differ on that
// the join leaves at zero without Drop is reported. Every join with such
// artifacts is reported in one t.Errorf, each with its artifacts; so is a
// join that fails or panics on the made-up inputs, and one the run never
// reached or reached with no input (an empty foreach), which CheckJoins
// cannot check. A join that keeps an artifact at zero on purpose (a count
// of zero) declares it with Drop or sets it.
func CheckJoins[T any](t testing.TB, f *stepflow.Flow[T], opts ...Option) {
	t.Helper()
	res := run(t, f, opts)
	c := &joinChecker{t: t, def: res.def, g: res.g, store: res.store, dir: t.TempDir()}
	var problems []string
	for _, name := range res.g.Order {
		n := res.g.Node(name)
		if n.Kind != graph.Join {
			continue
		}
		if p := c.check(t.Context(), n, res.err); p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		t.Errorf("stepflowtest.CheckJoins: flow %s: %d join(s) to fix:\n%s", res.def.Name, len(problems), strings.Join(problems, "\n"))
	}
}

type joinChecker struct {
	t     testing.TB
	def   *flow.Flow
	g     *graph.Graph
	store *datastore.Store
	dir   string // where made-up files go
	files int
}

// check checks the join n on every one of its tasks in the run, and
// returns what to fix, or "".
func (c *joinChecker) check(ctx context.Context, n *graph.Node, runErr error) string {
	ids, err := c.store.Attempts().Tasks(ctx, RunID, n.Name)
	if err != nil {
		return fmt.Sprintf("  join %s: %v", n.Name, err)
	}
	var unresolved, varied []string
	checked := false
	for _, id := range ids {
		a, err := c.store.Attempts().Latest(ctx, RunID, n.Name, id)
		if datastore.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Sprintf("  join %s: %v", n.Name, err)
		}
		if len(a.Inputs) == 0 {
			continue
		}
		checked = true
		u, v, err := c.checkTask(ctx, n, &a)
		if err != nil {
			return fmt.Sprintf("  join %s: %v", n.Name, err)
		}
		for _, f := range u {
			if !slices.Contains(unresolved, f) {
				unresolved = append(unresolved, f)
			}
		}
		for _, f := range v {
			if !slices.Contains(varied, f) {
				varied = append(varied, f)
			}
		}
	}
	switch {
	case !checked && len(ids) == 0:
		why := "the run did not reach it"
		if runErr != nil {
			why = fmt.Sprintf("the run failed before it: %v", runErr)
		}
		return fmt.Sprintf("  join %s: not checked, %s", n.Name, why)
	case !checked:
		return fmt.Sprintf("  join %s: not checked, it had no inputs in the run (a foreach over an empty slice); give CheckJoins parameters for which %s has items", n.Name, n.Split())
	case len(unresolved) == 0:
		return ""
	}
	quoted := make([]string, len(unresolved))
	for i, f := range unresolved {
		quoted[i] = strconv.Quote(f)
	}
	them, each := "them", "each"
	if len(unresolved) == 1 {
		them, each = "it", "it"
	}
	return fmt.Sprintf("  join %s leaves %s neither set nor dropped: the steps between %s and the join change %s, so its inputs can disagree on %s, and then the join fails; "+
		"set %s in the join from its inputs (f.%s = ... in[i].%s ...) or add stepflow.Drop(%s) to the join (checked with %d inputs differing in %s)",
		n.Name, strings.Join(unresolved, ", "), n.Split(), them, them, each, unresolved[0], unresolved[0], strings.Join(quoted, ", "), checkInputs, strings.Join(varied, ", "))
}

// checkTask calls the join's function on made-up inputs built from the
// inputs of its task a, and returns the artifacts it left unresolved and
// those the inputs differed in.
func (c *joinChecker) checkTask(ctx context.Context, n *graph.Node, a *datastore.Attempt) (unresolved, varied []string, err error) {
	splitRefs := map[string]datastore.ArtifactRef{}
	split, ok, err := c.store.Attempts().Succeeded(ctx, RunID, n.Split(), pathspec.TaskID(a.Indices))
	if err != nil {
		return nil, nil, err
	}
	if ok {
		splitRefs = split.Artifacts
	}
	// The artifacts the steps of the split changed in the run: those its
	// inputs (ran) can disagree on.
	ran := make([]*datastore.Attempt, len(a.Inputs))
	for i, ps := range a.Inputs {
		p, err := pathspec.Parse(ps, 3)
		if err != nil {
			return nil, nil, err
		}
		in, ok, err := c.store.Attempts().Succeeded(ctx, p.Run, p.Step, p.Task)
		if err != nil || !ok {
			return nil, nil, fmt.Errorf("input %s: %v", ps, err)
		}
		ran[i] = &in
	}
	for _, sf := range c.def.Fields() {
		ref, had := splitRefs[sf.Name]
		for _, in := range ran {
			if got, has := in.Artifacts[sf.Name]; had != has || ref.Hash != got.Hash || ref.Encoding != got.Encoding {
				varied = append(varied, sf.Name)
				break
			}
		}
	}
	inputs := make([]any, checkInputs)
	var states []reflect.Value
	for i := range checkInputs {
		st, err := decodeState(ctx, c.store, c.def, ran[i%len(ran)])
		if err != nil {
			return nil, nil, err
		}
		for _, name := range varied {
			sf, _ := c.def.Field(name)
			if err := c.vary(st.Elem().FieldByIndex(sf.Index), i+1); err != nil {
				return nil, nil, fmt.Errorf("artifact %s: %w", name, err)
			}
		}
		inputs[i], states = st.Interface(), append(states, st)
	}
	// The join's own state: what its inputs agree on, zero for the rest
	// and for what it drops.
	state := reflect.New(c.def.StateType)
	for _, sf := range c.def.Fields() {
		if slices.Contains(varied, sf.Name) || slices.Contains(n.Step.Options.Drop, sf.Name) {
			continue
		}
		state.Elem().FieldByIndex(sf.Index).Set(states[0].Elem().FieldByIndex(sf.Index))
	}
	info := flow.TaskInfo{Flow: c.def.Name, RunID: RunID, Step: n.Name, TaskID: a.Task, Indices: a.Indices}
	fc := flow.NewContext(ctx, info, io.Discard)
	fc.SetScratchRoot(c.dir)
	defer fc.RemoveScratch()
	if err := callJoin(n, fc, state, inputs); err != nil {
		return nil, nil, fmt.Errorf("fails on inputs that differ in %s, so CheckJoins cannot tell what it sets: %v", strings.Join(varied, ", "), err)
	}
	for _, name := range varied {
		if slices.Contains(n.Step.Options.Drop, name) {
			continue
		}
		if state.Elem().FieldByName(name).IsZero() {
			unresolved = append(unresolved, name)
		}
	}
	return unresolved, varied, nil
}

// callJoin runs the join's function, turning a panic into an error.
func callJoin(n *graph.Node, c *flow.Context, state reflect.Value, inputs []any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return n.Step.Func(c, state.Interface(), inputs)
}

// decodeState loads the artifacts of a into a new *T, as reflect.Value.
func decodeState(ctx context.Context, store *datastore.Store, def *flow.Flow, a *datastore.Attempt) (reflect.Value, error) {
	st := reflect.New(def.StateType)
	for _, sf := range def.Fields() {
		ref, ok := a.Artifacts[sf.Name]
		if !ok {
			continue
		}
		if err := task.DecodeField(ctx, store.Blobs(), ref, st.Elem().FieldByIndex(sf.Index)); err != nil {
			return reflect.Value{}, fmt.Errorf("artifact %s: %w", sf.Name, err)
		}
	}
	return st, nil
}
