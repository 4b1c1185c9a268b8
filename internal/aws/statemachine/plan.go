package statemachine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

// Assumptions are what a plan cannot know before a run: the width of each
// foreach, the case each switch takes, and how long each task runs. A step
// not named takes the defaults.
type Assumptions struct {
	Widths    map[string]int           // foreach step -> items (default DefaultPlanWidth)
	Targets   map[string]string        // switch step -> the case taken (default: its first case)
	Durations map[string]time.Duration // step -> run time of one task (default DefaultPlanDuration)
	// CacheHits assumes that the state machine finds every cached step
	// whose hits it decides in the step cache (default: none).
	CacheHits bool
}

// Defaults of the assumptions a plan shows.
const (
	DefaultPlanWidth    = 10
	DefaultPlanDuration = 10 * time.Minute
)

// Plan is what one run of a compiled flow costs at the given assumptions,
// every task succeeding at its first attempt (a retry or a catch handler
// adds one transition and one Batch job each). It is computed by running
// the compiled definition itself, state by state, so its counts are the
// emulator's (internal/aws/e2e checks them against every run it makes).
type Plan struct {
	Flow    string
	Machine string
	Region  string // the settings' region; prices are us-east-1's (PriceRegion)
	// Widths and Targets are the assumptions used, every foreach and switch
	// step named (defaults filled in); Durations the run time of each step.
	Widths    map[string]int
	Targets   map[string]string
	Durations map[string]time.Duration
	// CacheHits is the assumption that the cached steps hit.
	CacheHits bool `json:",omitempty"`

	Steps       []StepPlan // in the graph's order
	Transitions int        // state transitions billed (states entered)
	Helpers     int        // transitions that are not a SubmitJob (helper states, Maps, Parallels)
	Jobs        int        // Batch jobs
	SubmitJobs  int        // SubmitJob calls
	GetItems    int        // DynamoDB GetItem calls of the state machine
	PutItems    int        // DynamoDB PutItem calls: the tasks' (one per foreach or switch task, and the step cache's items) and the state machine's (a cache hit)
	Children    int        // child executions of DISTRIBUTED Maps (chunks)
	// History is the events of the execution's history; ChunkHistory the
	// most of any chunk's child execution (0 without one).
	History, ChunkHistory int

	// Broken lists the AWS limits the run breaks at these assumptions,
	// each naming the step, the width and the fix; empty when it fits.
	Broken []string

	// DefinitionSize is the compact definition's bytes (limit
	// MaxDefinition); Room how many more steps of each shape it has
	// room for.
	DefinitionSize int
	Room           []ShapeRoom
	RoomError      string // why Room could not be measured, if it could not
}

// StepPlan is one step's share of a plan.
type StepPlan struct {
	Step        string
	Platform    string // EC2 or FARGATE
	VCPU        float64
	MemoryMiB   int
	Tasks       int           // Batch jobs of the step (array jobs count one per child)
	SubmitJobs  int           // SubmitJob calls
	Transitions int           // transitions of the step's states, helpers included
	Duration    time.Duration // assumed run time of one task
}

// VCPUHours is the vCPU-hours of the step's tasks at their duration.
func (s StepPlan) VCPUHours() float64 { return float64(s.Tasks) * s.VCPU * s.Duration.Hours() }

// GBHours is the memory GB-hours (GiB, as Fargate bills) of the step's
// tasks at their duration.
func (s StepPlan) GBHours() float64 {
	return float64(s.Tasks) * float64(s.MemoryMiB) / 1024 * s.Duration.Hours()
}

// runScope is "(run)", the owner of the states no step owns (Init).
const runScope = "(run)"

// Plan computes the plan of one run of r at the assumptions a. Bad
// assumptions (a step that is no foreach, a case that is not the switch's,
// a negative width) are errors naming the step and what it can be.
func (r *Result) Plan(a Assumptions) (*Plan, error) {
	g := r.graph
	p := &Plan{Flow: g.Flow.Name, Machine: r.Name, Region: r.s.Region, Widths: map[string]int{}, Targets: map[string]string{},
		Durations: map[string]time.Duration{}, DefinitionSize: r.DefinitionSize, CacheHits: a.CacheHits}
	var bad []string
	for name, w := range a.Widths {
		switch n := g.Node(name); {
		case n == nil || n.Kind != graph.Foreach:
			bad = append(bad, fmt.Sprintf("--width %s=%d: %s is not a foreach step of flow %s (foreach steps: %s)", name, w, name, p.Flow, strings.Join(stepsOfKind(g, graph.Foreach), ", ")))
		case w < 0:
			bad = append(bad, fmt.Sprintf("--width %s=%d: a width is a number of items, 0 or more", name, w))
		}
	}
	for name, t := range a.Targets {
		switch n := g.Node(name); {
		case n == nil || n.Kind != graph.Switch:
			bad = append(bad, fmt.Sprintf("--switch %s=%s: %s is not a switch step of flow %s (switch steps: %s)", name, t, name, p.Flow, strings.Join(stepsOfKind(g, graph.Switch), ", ")))
		case !slices.Contains(n.Out, t):
			bad = append(bad, fmt.Sprintf("--switch %s=%s: %s is not a case of %s; use one of %s", name, t, t, name, strings.Join(n.Out, ", ")))
		}
	}
	for name, d := range a.Durations {
		switch {
		case g.Node(name) == nil:
			bad = append(bad, fmt.Sprintf("--duration %s=%s: flow %s has no step %s (steps: %s)", name, d, p.Flow, name, strings.Join(g.Order, ", ")))
		case d <= 0:
			bad = append(bad, fmt.Sprintf("--duration %s=%s: a run time is positive (10m, 90s)", name, d))
		}
	}
	if len(bad) > 0 {
		return nil, &AssumptionError{Problems: bad}
	}
	for _, name := range g.Order {
		n := g.Node(name)
		switch n.Kind {
		case graph.Foreach:
			p.Widths[name] = DefaultPlanWidth
			if w, ok := a.Widths[name]; ok {
				p.Widths[name] = w
			}
		case graph.Switch:
			p.Targets[name] = n.Out[0]
			if t, ok := a.Targets[name]; ok {
				p.Targets[name] = t
			}
		}
		p.Durations[name] = DefaultPlanDuration
		if d, ok := a.Durations[name]; ok {
			p.Durations[name] = d
		}
	}
	sim := &simulation{r: r, p: p, steps: map[string]*StepPlan{}}
	ex := &execution{}
	sim.scope(r.states, r.start, env{}, ex)
	p.History = ex.events + eventsExecution
	if p.History > maxHistory {
		sim.broken("", fmt.Sprintf("the execution's history takes about %d events at these widths, over the %d AWS allows (the run fails with States.Runtime); narrow the foreaches, lower --distributed-map-threshold, or deploy with --distributed-map", p.History, maxHistory))
	}
	for _, name := range g.Order {
		n := g.Node(name)
		o := n.Step.Options
		sp := sim.step(name)
		sp.Platform = r.s.PlatformOf(o.Batch.Platform)
		sp.VCPU, sp.MemoryMiB = o.Resources.CPU, flow.DefaultMemoryMiB
		if sp.VCPU == 0 {
			sp.VCPU = flow.DefaultCPU
		}
		if o.Resources.Memory != "" {
			if m, err := flow.ParseMiB(o.Resources.Memory); err == nil {
				sp.MemoryMiB = int(m)
			}
		}
		sp.Duration = p.Durations[name]
		p.Steps = append(p.Steps, *sp)
	}
	if sp, ok := sim.steps[HookScope]; ok {
		hookPlan(sp, g.Node(g.End), r.s)
		p.Steps = append(p.Steps, *sp)
	}
	if sp, ok := sim.steps[runScope]; ok {
		p.Steps = append([]StepPlan{*sp}, p.Steps...)
	}
	p.Helpers = p.Transitions - p.SubmitJobs
	// The room is measured with flows of steps without options: settings
	// that only the flow's own steps complete (every step naming its
	// queue) cannot compile them, and the plan says so.
	var err error
	if p.Room, err = room(p.Flow, r.s, r.DefinitionSize); err != nil {
		p.RoomError = err.Error()
	}
	return p, nil
}

// AssumptionError is a plan's assumption that does not fit the flow.
type AssumptionError struct{ Problems []string }

func (e *AssumptionError) Error() string { return strings.Join(e.Problems, "\n") }

func stepsOfKind(g *graph.Graph, k graph.Kind) []string {
	var out []string
	for _, name := range g.Order {
		if g.Node(name).Kind == k {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}
