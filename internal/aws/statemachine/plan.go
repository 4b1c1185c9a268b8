package statemachine

import (
	"fmt"
	"math"
	"strconv"
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

	Steps       []StepPlan // in the graph's order
	Transitions int        // state transitions billed (states entered)
	Helpers     int        // transitions that are not a SubmitJob (helper states, Maps, Parallels)
	Jobs        int        // Batch jobs
	SubmitJobs  int        // SubmitJob calls
	GetItems    int        // DynamoDB GetItem calls of the state machine
	PutItems    int        // DynamoDB PutItem calls of the tasks (one per foreach or switch task)
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
		Durations: map[string]time.Duration{}, DefinitionSize: r.DefinitionSize}
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
		case !contains(n.Out, t):
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
	ex := sim.execution()
	sim.scope(r.states, initState, env{}, ex)
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// simulation runs a compiled definition at a plan's assumptions: every
// state entered is counted, Choice rules are evaluated, Pass and Map
// parameters are evaluated as far as the definition's own intrinsics go
// (States.ArrayRange and States.MathAdd over the payload's numbers).
type simulation struct {
	r     *Result
	p     *Plan
	steps map[string]*StepPlan
	seen  map[string]bool // limits already reported
}

// env is the part of a payload the Choices and Maps read: path ("$.X.Y")
// -> a number, a string or a list of numbers.
type env map[string]any

// execution is the history of one execution: the run's, or a chunk's.
type execution struct{ events int }

func (s *simulation) execution() *execution { return &execution{} }

func (s *simulation) step(name string) *StepPlan {
	sp, ok := s.steps[name]
	if !ok {
		sp = &StepPlan{Step: name}
		s.steps[name] = sp
	}
	return sp
}

func (s *simulation) broken(key, msg string) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if k := key + msg; !s.seen[k] {
		s.seen[k] = true
		s.p.Broken = append(s.p.Broken, msg)
	}
}

// stepOf is the step a state belongs to: the recorded one for Batch Tasks
// and lookups, else the name before the first "." (helper states are
// <step>.<Word>), Init's the run's.
func (s *simulation) stepOf(state string) string {
	for name := state; ; {
		if st, ok := s.r.stepOf[name]; ok {
			return st
		}
		trimmed := strings.TrimSuffix(name, distSuffix)
		if trimmed == name {
			break
		}
		name = trimmed
	}
	if before, _, ok := strings.Cut(state, "."); ok && s.r.graph.Node(before) != nil {
		return before
	}
	if s.r.graph.Node(state) != nil {
		return state
	}
	return runScope
}

// scope runs states from start until a state ends the scope, adding to
// the execution ex.
func (s *simulation) scope(states obj, start string, e env, ex *execution) {
	byName := make(map[string]obj, len(states))
	for _, kv := range states {
		byName[kv.k] = kv.v.(obj)
	}
	for name := start; name != ""; {
		st, ok := byName[name]
		if !ok {
			s.broken(name, fmt.Sprintf("state %s is not in the definition (a bug of the plan; report it)", name))
			return
		}
		name = s.state(name, st, e, ex)
	}
}

// state runs one state and returns the next ("" at the scope's end).
func (s *simulation) state(name string, st obj, e env, ex *execution) string {
	owner := s.stepOf(name)
	s.p.Transitions++
	s.step(owner).Transitions++
	nxt, _ := st.get("Next").(string)
	switch st.get("Type") {
	case "Task":
		res, _ := st.get("Resource").(string)
		switch {
		case strings.HasSuffix(res, ":batch:submitJob.sync"):
			ex.events += eventsBatch
			// An array job: one SubmitJob, a Batch job per child.
			jobs := 1
			if ap, ok := st.get("Parameters").(obj).get("ArrayProperties").(obj); ok {
				size, _ := s.eval(ap.get("Size.$").(string), e, nil).(float64)
				if jobs = int(size); jobs < 2 || jobs > maxArray {
					s.broken(name, fmt.Sprintf("step %s: an array job of %d children is outside AWS Batch's 2 to %d (a bug of the compiler; report it)", owner, jobs, maxArray))
				}
			}
			s.p.Jobs += jobs
			s.p.SubmitJobs++
			sp := s.step(owner)
			sp.Tasks += jobs
			sp.SubmitJobs++
			n := s.r.graph.Node(owner)
			if n != nil && (n.Kind == graph.Foreach || n.Kind == graph.Switch) {
				s.p.PutItems++
			}
			if n != nil && n.Kind == graph.Foreach && s.foreachLimit(st) > 0 {
				if w := s.p.Widths[owner]; w > s.foreachLimit(st) {
					s.broken(owner, fmt.Sprintf("step %s: a nested foreach of %d items (--width %s=%d) is over the %d one INLINE Map can list (States.ArrayRange): its task fails; narrow it, or deploy with --distributed-map", owner, w, owner, w, s.foreachLimit(st)))
				}
			}
		case strings.HasSuffix(res, ":dynamodb:getItem"):
			ex.events += eventsTask
			s.p.GetItems++
			switch st.get("ResultPath") {
			case "$.Foreach":
				e["$.Foreach.Width"] = float64(s.p.Widths[owner])
			case "$.Switch":
				e["$.Switch.Target"] = s.p.Targets[owner]
			}
		default:
			ex.events += eventsTask
		}
	case "Pass":
		ex.events += eventsState
		if params, ok := st.get("Parameters").(obj); ok {
			out := env{}
			for _, kv := range params {
				if k, ok := strings.CutSuffix(kv.k, ".$"); ok {
					if v := s.eval(kv.v.(string), e, nil); v != nil {
						out["$."+k] = v
					}
				} else if f := toFloat(kv.v); !math.IsNaN(f) {
					out["$."+kv.k] = f // a literal number (an array job's Size)
				}
			}
			// Parameters replace the payload: what the plan reads of it is
			// what they evaluate to.
			clear(e)
			for k, v := range out {
				e[k] = v
			}
		}
	case "Choice":
		ex.events += eventsState
		nxt, _ = st.get("Default").(string)
		for _, rule := range st.get("Choices").([]any) {
			if r := rule.(obj); s.match(r, e) {
				nxt = r.get("Next").(string)
				break
			}
		}
	case "Fail":
		ex.events += eventsState
		cause, _ := st.get("Cause").(string)
		s.broken(name, fmt.Sprintf("step %s: the run fails in state %s at these assumptions: %s", owner, name, cause))
		return ""
	case "Parallel":
		ex.events += eventsBlock
		for _, b := range st.get("Branches").([]any) {
			bo := b.(obj)
			ex.events += eventsIteration
			s.scope(bo.get("States").(obj), bo.get("StartAt").(string), copyEnv(e), ex)
		}
	case "Map":
		ex.events += eventsBlock
		s.mapState(name, owner, st, e, ex)
	default:
		ex.events += eventsState
	}
	if end, _ := st.get("End").(bool); end {
		return ""
	}
	return nxt
}

// foreachLimit is the STEPFLOW_FOREACH_LIMIT of a Batch Task, 0 if none.
func (s *simulation) foreachLimit(st obj) int {
	params := st.get("Parameters").(obj)
	ov, _ := params.get("ContainerOverrides").(obj)
	if ov == nil {
		return 0
	}
	envs, _ := ov.get("Environment").([]any)
	for _, v := range envs {
		if o := v.(obj); o.get("Name") == EnvForeachLimit {
			n, _ := strconv.Atoi(o.get("Value").(string))
			return n
		}
	}
	return 0
}

// mapState runs a Map's iterations: an INLINE Map's in the execution, a
// DISTRIBUTED Map's each in a child execution of its own. Iterations of
// one Map differ only by their item, and only the last chunk's items
// differ from the others', so the first item is run once and counted for
// all but the last, which is run too.
func (s *simulation) mapState(name, owner string, st obj, e env, ex *execution) {
	items, _ := e[st.get("ItemsPath").(string)].([]float64)
	proc := st.get("ItemProcessor").(obj)
	distributed := proc.get("ProcessorConfig").(obj).get("Mode") == "DISTRIBUTED"
	if distributed {
		ex.events += eventsMapRun
	}
	if !distributed && len(items) > maxRange {
		s.broken(name, fmt.Sprintf("step %s: an INLINE Map of %d items is over States.ArrayRange's %d", owner, len(items), maxRange))
	}
	if !distributed && len(items)*maxOutput > maxPayload {
		s.broken(name, fmt.Sprintf("step %s: an INLINE Map of %d items collects up to %d bytes of outputs, over the %d of a payload; lower --distributed-map-threshold", owner, len(items), len(items)*maxOutput, maxPayload))
	}
	sel, _ := st.get("ItemSelector").(obj)
	run := func(item float64, times int) {
		if times == 0 {
			return
		}
		ie := env{}
		for _, kv := range sel {
			if k, ok := strings.CutSuffix(kv.k, ".$"); ok {
				if v := s.eval(kv.v.(string), e, &item); v != nil {
					ie["$."+k] = v
				}
			}
		}
		before := *s.p
		beforeSteps := snapshot(s.steps)
		child := ex
		if distributed {
			child = s.execution()
			s.p.Children++
		} else {
			child = &execution{}
		}
		s.scope(proc.get("States").(obj), proc.get("StartAt").(string), ie, child)
		events := child.events
		if distributed {
			events += eventsExecution
			if events > s.p.ChunkHistory {
				s.p.ChunkHistory = events
			}
			if events > maxHistory {
				s.broken(name, fmt.Sprintf("step %s: a chunk's child execution takes about %d events at these widths, over the %d AWS allows; lower --foreach-chunk or narrow its nested foreaches", owner, events, maxHistory))
			}
		} else {
			ex.events += times * (eventsIteration + events)
		}
		if times > 1 {
			// Count the other times-1 iterations as this one.
			scale(s.p, &before, times-1)
			scaleSteps(s.steps, beforeSteps, times-1)
		}
	}
	switch n := len(items); n {
	case 0:
	case 1:
		run(items[0], 1)
	default:
		run(items[0], n-1)
		run(items[n-1], 1)
	}
}

// Bounds of an INLINE Map's collected outputs ({RunId, TaskId} at the
// deepest nesting) against the 256 KiB payload limit.
const (
	maxPayload = 256 << 10
	maxOutput  = 30 + maxRunID + 11*maxNesting
	maxNesting = 10
)

// scale adds times × (the counts of p since before) to p.
func scale(p, before *Plan, times int) {
	p.Transitions += times * (p.Transitions - before.Transitions)
	p.Jobs += times * (p.Jobs - before.Jobs)
	p.SubmitJobs += times * (p.SubmitJobs - before.SubmitJobs)
	p.GetItems += times * (p.GetItems - before.GetItems)
	p.PutItems += times * (p.PutItems - before.PutItems)
	p.Children += times * (p.Children - before.Children)
}

func snapshot(steps map[string]*StepPlan) map[string]StepPlan {
	out := make(map[string]StepPlan, len(steps))
	for k, v := range steps {
		out[k] = *v
	}
	return out
}

func scaleSteps(steps map[string]*StepPlan, before map[string]StepPlan, times int) {
	for k, sp := range steps {
		b := before[k]
		sp.Tasks += times * (sp.Tasks - b.Tasks)
		sp.SubmitJobs += times * (sp.SubmitJobs - b.SubmitJobs)
		sp.Transitions += times * (sp.Transitions - b.Transitions)
	}
}

func copyEnv(e env) env {
	out := make(env, len(e))
	for k, v := range e {
		out[k] = v
	}
	return out
}

// match evaluates one Choice rule.
func (s *simulation) match(r obj, e env) bool {
	v := e[r.get("Variable").(string)]
	num, isNum := v.(float64)
	for _, kv := range r {
		switch kv.k {
		case "NumericEquals":
			return isNum && num == toFloat(kv.v)
		case "NumericGreaterThan":
			return isNum && num > toFloat(kv.v)
		case "NumericGreaterThanPath":
			other, ok := e[kv.v.(string)].(float64)
			return isNum && ok && num > other
		case "StringEquals":
			return v == kv.v
		}
	}
	return false
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// eval evaluates a payload path or one of the intrinsics the compiler
// uses for numbers and lists; nil for anything else (strings the plan
// does not need). item is the Map item ($$.Map.Item.Value), if any.
func (s *simulation) eval(expr string, e env, item *float64) any {
	expr = strings.TrimSpace(expr)
	switch {
	case expr == "$$.Map.Item.Value":
		if item == nil {
			return nil
		}
		return *item
	case strings.HasPrefix(expr, "$."):
		return e[expr]
	case strings.HasPrefix(expr, "States.MathAdd(") && strings.HasSuffix(expr, ")"):
		args := splitArgs(expr[len("States.MathAdd(") : len(expr)-1])
		if len(args) != 2 {
			return nil
		}
		a, aok := s.number(args[0], e, item)
		b, bok := s.number(args[1], e, item)
		if !aok || !bok {
			return nil
		}
		return a + b
	case strings.HasPrefix(expr, "States.ArrayLength(") && strings.HasSuffix(expr, ")"):
		list, ok := s.eval(expr[len("States.ArrayLength("):len(expr)-1], e, item).([]float64)
		if !ok {
			return nil
		}
		return float64(len(list))
	case strings.HasPrefix(expr, "States.ArrayRange(") && strings.HasSuffix(expr, ")"):
		args := splitArgs(expr[len("States.ArrayRange(") : len(expr)-1])
		if len(args) != 3 {
			return nil
		}
		from, ok1 := s.number(args[0], e, item)
		to, ok2 := s.number(args[1], e, item)
		step, ok3 := s.number(args[2], e, item)
		if !ok1 || !ok2 || !ok3 || step <= 0 {
			return nil
		}
		var out []float64
		for x := from; x <= to; x += step {
			out = append(out, x)
		}
		return out
	}
	return nil
}

func (s *simulation) number(arg string, e env, item *float64) (float64, bool) {
	if f, err := strconv.ParseFloat(strings.TrimSpace(arg), 64); err == nil {
		return f, true
	}
	f, ok := s.eval(arg, e, item).(float64)
	return f, ok
}

// splitArgs splits an intrinsic's arguments at the top-level commas.
func splitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
