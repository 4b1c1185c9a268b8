package statemachine_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/flow"
)

// plan compiles f with s and plans it at a.
func plan(t *testing.T, f *flow.Flow, s statemachine.Settings, a statemachine.Assumptions) *statemachine.Plan {
	t.Helper()
	p, err := compile(t, f, s).Plan(a)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The plan's counts, against the arithmetic of docs/state-machine.md
// ("What a run costs"), for wide(): a top-level foreach (start, W items)
// whose body holds a nested one (prep, V items). Per run: Init, Init.Merge,
// start, start.Width, start.Mode, then inline start.Items and start.Map,
// or chunked start.Chunks, start.Chunked and per chunk Tail, Chunk or Rest
// and Each; per outer item outer, prep, prep.Width, prep.HasItems, then
// prep.Items, prep.Map and V × inner (or prep.Empty when V = 0), and
// inner_join; then outer_join and end.
func TestPlanCounts(t *testing.T) {
	chunked := testSettings()
	chunked.DistributedMapThreshold, chunked.ForeachChunk = 3, 4
	for _, c := range []struct {
		name              string
		s                 statemachine.Settings
		w, v              int
		transitions, jobs int
		children          int
	}{
		{"inline", testSettings(), 5, 3, 5 + 2 + 5*(4+2+3+1) + 2, 1 + 5*(3+3) + 2, 0},
		{"no outer items", testSettings(), 0, 3, 5 + 1 + 2, 3, 0},
		{"no inner items", testSettings(), 4, 0, 5 + 2 + 4*(4+1+1) + 2, 1 + 4*3 + 2, 0},
		{"chunked", chunked, 10, 0, 5 + 2 + 3*3 + 10*(4+1+1) + 2, 1 + 10*3 + 2, 3},
		{"chunked 2 inner", chunked, 9, 2, 5 + 2 + 3*3 + 9*(4+2+2+1) + 2, 1 + 9*(3+2) + 2, 3},
		{"inline at the threshold", chunked, 3, 1, 5 + 2 + 3*(4+2+1+1) + 2, 1 + 3*(3+1) + 2, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := plan(t, wide(), c.s, statemachine.Assumptions{Widths: map[string]int{"start": c.w, "prep": c.v}})
			if p.Transitions != c.transitions || p.Jobs != c.jobs || p.SubmitJobs != c.jobs || p.Children != c.children {
				t.Errorf("transitions %d, jobs %d, SubmitJob %d, children %d; want %d, %d, %d, %d",
					p.Transitions, p.Jobs, p.SubmitJobs, p.Children, c.transitions, c.jobs, c.jobs, c.children)
			}
			if len(p.Broken) > 0 {
				t.Errorf("broken: %v", p.Broken)
			}
			tasks := map[string]int{}
			for _, st := range p.Steps {
				tasks[st.Step] = st.Tasks
			}
			if tasks["inner"] != c.w*c.v || tasks["outer"] != c.w || tasks["end"] != 1 {
				t.Errorf("tasks: %v", tasks)
			}
			// One GetItem per foreach task run, one PutItem by each.
			if want := 1 + c.w; p.GetItems != want || p.PutItems != want {
				t.Errorf("GetItem %d, PutItem %d; want %d each", p.GetItems, p.PutItems, want)
			}
		})
	}
}

// A switch takes the case the plan assumes (the first by default).
func TestPlanSwitch(t *testing.T) {
	f := flow.MustDefinitionOf(stepflow.New[S]("SwitchFlow").
		Step("start", noop, stepflow.Switch("Choice", map[string]string{"a": "fast", "b": "slow"})).
		Step("fast", noop, stepflow.Next("end")).
		Step("slow", noop, stepflow.Next("more")).
		Step("more", noop, stepflow.Next("end")).
		Step("end", noop))
	def := plan(t, f, testSettings(), statemachine.Assumptions{})
	slow := plan(t, f, testSettings(), statemachine.Assumptions{Targets: map[string]string{"start": "slow"}})
	first := def.Targets["start"]
	// Init, Init.Merge, start, start.Target, start.Choice, the case's
	// steps, end.
	want := map[string]int{"fast": 5 + 1 + 1, "slow": 5 + 2 + 1}
	if def.Transitions != want[first] || slow.Transitions != want["slow"] || slow.Jobs != 4 {
		t.Errorf("default case %s: %d transitions; slow: %d transitions, %d jobs; want %d, %d, 4", first, def.Transitions, slow.Transitions, slow.Jobs, want[first], want["slow"])
	}
}

// The limits a run breaks at its widths are named, with the width.
func TestPlanLimits(t *testing.T) {
	chunked := testSettings()
	chunked.DistributedMapThreshold, chunked.ForeachChunk = 3, 4
	for _, c := range []struct {
		name   string
		s      statemachine.Settings
		widths map[string]int
		want   string
	}{
		{"nested over 1,000", testSettings(), map[string]int{"start": 2, "prep": 1001}, "a nested foreach of 1001 items (--width prep=1001)"},
		{"too wide", chunked, map[string]int{"start": 4001}, "has more than 4000 items"},
		{"history", testSettings(), map[string]int{"start": 5, "prep": 1000}, "the execution's history takes about"},
		{"chunk history", chunked, map[string]int{"start": 8, "prep": 1000}, "a chunk's child execution takes about"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := plan(t, wide(), c.s, statemachine.Assumptions{Widths: c.widths})
			if !strings.Contains(strings.Join(p.Broken, "\n"), c.want) {
				t.Errorf("broken: %q; want one with %q", p.Broken, c.want)
			}
		})
	}
	if p := plan(t, wide(), chunked, statemachine.Assumptions{Widths: map[string]int{"start": 4000, "prep": 1}}); len(p.Broken) > 0 {
		t.Errorf("4,000 items in chunks of 4: broken %v", p.Broken)
	}
}

// A 1,000,000-item foreach (the most a one-step body can have: 1,000
// chunks of 1,000) plans fast: iterations are counted, not each run.
func TestPlanWide(t *testing.T) {
	start := time.Now()
	maps := testSettings()
	maps.NoArrayJobs = true
	p := plan(t, nested(1), maps, statemachine.Assumptions{Widths: map[string]int{"start": 1_000_000}})
	// Init, Init.Merge, start, Width, Mode, Chunks, Chunked, per chunk 3,
	// per item 1, join_1, end.
	if p.Jobs != 1+1_000_000+2 || p.Transitions != 7+3*1000+1_000_000+2 || p.Children != 1000 || len(p.Broken) > 0 {
		t.Errorf("Map: jobs %d, transitions %d, children %d, broken %v", p.Jobs, p.Transitions, p.Children, p.Broken)
	}
	if p := plan(t, nested(1), maps, statemachine.Assumptions{Widths: map[string]int{"start": 1_000_001}}); len(p.Broken) != 1 {
		t.Errorf("Map, 1,000,001 items: broken %v", p.Broken)
	}
	// As array jobs: Init, Init.Merge, start, Width, Mode, Arrays,
	// ArrayJobs, per array job of 1,000 3 (Tail, Full, Chunk), join_1, end.
	p = plan(t, nested(1), testSettings(), statemachine.Assumptions{Widths: map[string]int{"start": 1_000_000}})
	if p.Jobs != 1+1_000_000+2 || p.SubmitJobs != 1+1000+2 || p.Transitions != 7+3*1000+2 || len(p.Broken) > 0 {
		t.Errorf("array jobs: jobs %d, SubmitJob %d, transitions %d, broken %v", p.Jobs, p.SubmitJobs, p.Transitions, p.Broken)
	}
	// 10,001 items: 10 array jobs of 1,000 and a last chunk of one item,
	// a single job (Tail, Rest, Size, Single).
	p = plan(t, nested(1), testSettings(), statemachine.Assumptions{Widths: map[string]int{"start": 10_001}})
	if p.Jobs != 1+10_001+2 || p.SubmitJobs != 1+11+2 || p.Transitions != 7+10*3+4+2 || len(p.Broken) > 0 {
		t.Errorf("10,001 items: jobs %d, SubmitJob %d, transitions %d, broken %v", p.Jobs, p.SubmitJobs, p.Transitions, p.Broken)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("planning 1,000,000 items took %v", d)
	}
}

// Assumptions that do not fit the flow are refused, each naming what it
// can be.
func TestPlanBadAssumptions(t *testing.T) {
	r := compile(t, wide(), testSettings())
	_, err := r.Plan(statemachine.Assumptions{Widths: map[string]int{"end": 3, "prep": -1}, Targets: map[string]string{"start": "x"},
		Durations: map[string]time.Duration{"nope": time.Minute}})
	var ae *statemachine.AssumptionError
	if !errors.As(err, &ae) || len(ae.Problems) != 4 {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"end is not a foreach step of flow WideFlow (foreach steps: start, prep)", "0 or more",
		"start is not a switch step of flow WideFlow (switch steps: none)", "flow WideFlow has no step nope"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

// The room a plan reports is real: a flow of only linear steps has
// exactly as many as fit (one more breaks the 1 MiB limit), and the
// 1,000-step flow stays under 80% of the limit (issue 29).
func TestPlanRoom(t *testing.T) {
	lin := compile(t, linear(1000), testSettings())
	if limit := statemachine.MaxDefinition * 8 / 10; lin.DefinitionSize > limit {
		t.Errorf("1,000-step definition: %d bytes, over 80%% of the limit (%d)", lin.DefinitionSize, limit)
	}
	p, err := lin.Plan(statemachine.Assumptions{})
	if err != nil {
		t.Fatal(err)
	}
	room := map[string]statemachine.ShapeRoom{}
	for _, r := range p.Room {
		room[r.Shape] = r
		t.Logf("%s: %d bytes each, %d more in the 1,000-step flow, %d alone", r.Shape, r.Bytes, r.More, r.Alone)
	}
	linear1 := room["linear step"]
	if linear1.Bytes == 0 || len(room) != 4 {
		t.Fatalf("room: %+v", p.Room)
	}
	// linear(n) is start, n-2 steps and end.
	if _, err := statemachine.Compile(mustGraph(t, linear(linear1.Alone+2)), testSettings()); err != nil {
		t.Errorf("%d linear steps do not fit: %v", linear1.Alone, err)
	}
	if _, err := statemachine.Compile(mustGraph(t, linear(linear1.Alone+3)), testSettings()); err == nil || !strings.Contains(err.Error(), "over the AWS limit") {
		t.Errorf("%d linear steps fit, or fail otherwise: %v", linear1.Alone+1, err)
	}
	// The 1,000-step flow is start, 998 linear steps and end.
	if got := 998 + linear1.More; got < linear1.Alone-1 || got > linear1.Alone+1 {
		t.Errorf("998 steps + %d more = %d, but %d fit alone", linear1.More, got, linear1.Alone)
	}
}

// A flow whose steps all name their own queue needs no --queue: its plan
// says that the room could not be measured, and plans the rest.
func TestPlanRoomUnmeasured(t *testing.T) {
	f := flow.MustDefinitionOf(stepflow.New[S]("QueueFlow").
		Step("start", noop, stepflow.Next("end"), stepflow.Batch{Queue: "q1"}).
		Step("end", noop, stepflow.Batch{Queue: "q1"}))
	s := testSettings()
	s.Queue = ""
	p := plan(t, f, s, statemachine.Assumptions{})
	if p.Transitions != 4 || len(p.Room) != 0 || !strings.Contains(p.RoomError, "queue") {
		t.Errorf("transitions %d, room %v, room error %q", p.Transitions, p.Room, p.RoomError)
	}
}
