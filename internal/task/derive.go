package task

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/pathspec"
)

// deriveWorkers bounds the concurrent lookups of a foreach join's inputs.
const deriveWorkers = 16

// deriveInputs computes a task's parent pathspecs from the graph and the
// datastore (docs/task-contract.md, "Input paths when not given").
func (e *Executor) deriveInputs(ctx context.Context, l *loader, node *graph.Node, spec *Spec) ([]string, error) {
	g := e.Graph
	run := spec.RunID
	// first returns the task of the first candidate step that succeeded.
	first := func(cands []string, indices []int) (string, error) {
		id := pathspec.TaskID(indices)
		for _, c := range cands {
			p := pathspec.Task(run, c, id)
			a, err := l.succeeded(ctx, p)
			if err != nil {
				return "", err
			}
			if a != nil {
				return p.String(), nil
			}
		}
		return "", badInput("step %s at %v: none of its parents %v has a successful task %s in run %s", node.Name, indices, cands, id, run)
	}
	switch {
	case node.Name == g.Start:
		return []string{}, nil
	case node.Kind == graph.Join:
		split := g.Node(node.Split())
		k := len(node.SplitParents) - 1
		if split.Kind == graph.Foreach {
			fp := pathspec.Task(run, split.Name, pathspec.TaskID(spec.Indices))
			fa, err := l.succeeded(ctx, fp)
			if err != nil {
				return nil, err
			}
			if fa == nil {
				return nil, badInput("join %s: foreach task %s has no successful attempt", node.Name, fp)
			}
			// One lookup per item: on S3 each is a request or two, so a
			// wide join looks them up side by side.
			out := make([]string, fa.ForeachWidth)
			errs := make([]error, fa.ForeachWidth)
			next := make(chan int)
			var wg sync.WaitGroup
			for w := 0; w < min(deriveWorkers, fa.ForeachWidth); w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						out[i], errs[i] = first(node.In, append(slices.Clone(spec.Indices), i))
					}
				}()
			}
			for i := range fa.ForeachWidth {
				next <- i
			}
			close(next)
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					return nil, err // the first, in index order
				}
			}
			return out, nil
		}
		var out []string
		for _, b := range split.Out {
			var cands []string
			for _, in := range node.In {
				pn := g.Node(in)
				if k < len(pn.SplitParents) && pn.SplitParents[k] == split.Name && pn.SplitBranches[k] == b {
					cands = append(cands, in)
				}
			}
			p, err := first(cands, spec.Indices)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	}
	if len(node.In) == 1 && g.Node(node.In[0]).Kind == graph.Foreach {
		parent := spec.Indices[:len(spec.Indices)-1]
		p, err := first(node.In, parent)
		if err != nil {
			return nil, err
		}
		return []string{p}, nil
	}
	p, err := first(node.In, spec.Indices)
	if err != nil {
		return nil, fmt.Errorf("derive inputs: %w", err)
	}
	return []string{p}, nil
}
