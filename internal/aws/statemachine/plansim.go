package statemachine

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow/internal/graph"
)

// simulation runs a compiled definition at a plan's assumptions: every
// state entered is counted, Choice rules are evaluated, Pass and Map
// parameters are evaluated as far as the definition's own intrinsics go
// (States.ArrayRange, States.ArrayLength and States.MathAdd over the
// payload's numbers).
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
			s.p.PutItems += s.cachePutItems(n, st)
			if n != nil && n.Kind == graph.Foreach && s.foreachLimit(st) > 0 {
				if w := s.p.Widths[owner]; w > s.foreachLimit(st) {
					s.broken(owner, fmt.Sprintf("step %s: a nested foreach of %d items (--width %s=%d) is over the %d one INLINE Map can list (States.ArrayRange): its task fails; narrow it, or deploy with --distributed-map", owner, w, owner, w, s.foreachLimit(st)))
				}
			}
		case strings.HasSuffix(res, ":dynamodb:getItem"):
			ex.events += eventsTask
			s.p.GetItems++
			switch rp, _ := st.get("ResultPath").(string); rp {
			case "$.Foreach":
				e["$.Foreach.Width"] = float64(s.p.Widths[owner])
			case "$.Switch":
				e["$.Switch.Target"] = s.p.Targets[owner]
			default:
				s.cacheLookup(rp, e)
			}
		case strings.HasSuffix(res, ":dynamodb:putItem"):
			ex.events += eventsTask
			s.p.PutItems++
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
			child = &execution{}
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
		case "IsPresent":
			return (v != nil) == kv.v
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
