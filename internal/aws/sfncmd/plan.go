package sfncmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/flowcmd"
	"github.com/stepflow/stepflow/internal/graph"
	"github.com/stepflow/stepflow/internal/usage"
)

// cmdSFNPlan is step-functions plan: what one run of the flow costs,
// before it runs.
func cmdSFNPlan(f *flowcmd.Flow) *command.Command {
	var flags statemachine.Settings
	widths, targets, durations := stepFlag{}, stepFlag{}, stepFlag{}
	configs := flowcmd.ConfigFlag{}
	files := flowcmd.ConfigFlag{}
	var asJSON, cacheHits bool
	return &command.Command{
		Name:      "plan",
		UsageLine: "plan [--width STEP=N] [--switch STEP=CASE] [--duration STEP=D] [--cache-hits] [--json] [--max-workers N] [--distributed-map] [--no-array-jobs] [--array-size N] [--distributed-map-threshold N] [--foreach-chunk N] [settings flags]",
		Short:     "show what one run costs: transitions, jobs, requests, price, limits",
		Long: `Plan compiles the flow as create would (same settings and flags) and runs the
compiled state machine on paper, state by state, at the assumed widths of its
foreaches (--width STEP=N, default 10 each), the cases its switches take
(--switch STEP=CASE, default the first case) and each task's run time
(--duration STEP=10m, default 10m), and with --cache-hits that every cached
step whose hits the state machine decides is found in the step cache (default:
none is). It prints, per step and for the run: state
transitions, Batch jobs, SubmitJob calls, DynamoDB requests, compute, the
estimated price at AWS's us-east-1 list prices (the table and its sources are
in internal/aws/statemachine/prices.go), and the AWS limits the run breaks at
these widths (history events, payloads, foreach bounds).

The counts assume every task succeeds at its first attempt: each retry or
catch handler adds one transition and one Batch job. They equal what a run
on the emulated stack counts (internal/aws/e2e). See docs/state-machine.md,
"What a run costs".`,
		Flags: func(fs *flag.FlagSet) {
			fs.Var(widths, "width", "assume foreach STEP has N items: STEP=N (repeatable)")
			fs.Var(targets, "switch", "assume switch STEP takes case CASE: STEP=CASE (repeatable)")
			fs.Var(durations, "duration", "assume each task of STEP runs D: STEP=10m (repeatable)")
			fs.BoolVar(&asJSON, "json", false, "print the plan as JSON")
			fs.BoolVar(&cacheHits, "cache-hits", false, "assume the cached steps are found in the step cache (no Batch job)")
			fs.IntVar(&flags.MaxWorkers, "max-workers", 0, "as create")
			fs.BoolVar(&flags.DistributedMap, "distributed-map", false, "as create")
			fs.BoolVar(&flags.NoArrayJobs, "no-array-jobs", false, "as create")
			fs.IntVar(&flags.ArraySize, "array-size", 0, "as create")
			fs.IntVar(&flags.DistributedMapThreshold, "distributed-map-threshold", 0, "as create")
			fs.IntVar(&flags.ForeachChunk, "foreach-chunk", 0, "as create")
			fs.Var(configs, "config", "config file: NAME=FILE (repeatable), as create")
			fs.Var(files, "file", "file of a file parameter: NAME=PATH (repeatable), as create")
			settingFlags(fs, &flags, nil)
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("step-functions plan takes no arguments, got %q; assumptions are flags (--width STEP=N)", args)
			}
			a, err := assumptions(widths, targets, durations)
			if err != nil {
				return err
			}
			a.CacheHits = cacheHits
			res, err := compileForPlan(env, f, flags, configs, files)
			if err != nil {
				return err
			}
			p, err := res.Plan(a)
			if err != nil {
				return usage.Errorf("%v", err)
			}
			if asJSON {
				b, err := json.MarshalIndent(p, "", "  ")
				if err != nil {
					return fmt.Errorf("plan: %w", err)
				}
				_, err = env.Stdout.Write(append(b, '\n'))
				return err
			}
			_, err = env.Stdout.Write([]byte(planReport(p)))
			return err
		},
	}
}

// compileForPlan compiles the flow as create --only-json does, without
// its notes: the plan does not depend on the image digest or the token.
func compileForPlan(env *command.Env, f *flowcmd.Flow, flags statemachine.Settings, configs, files flowcmd.ConfigFlag) (*statemachine.Result, error) {
	g, err := f.Graph()
	if err != nil {
		return nil, err
	}
	s, err := loadSettings(env, flags)
	if err != nil {
		return nil, err
	}
	frozen, err := flowcmd.EncodeConfigs(f.Def, configs)
	if err != nil {
		return nil, err
	}
	if len(frozen) > 0 {
		s.Configs = map[string]string{}
		for _, c := range frozen {
			s.Configs[c.Name] = c.Hash
		}
	}
	if s.Files, err = planFiles(f.Def, files); err != nil {
		return nil, err
	}
	res, err := statemachine.Compile(g, s)
	if err != nil {
		return nil, usage.Wrap(err)
	}
	return res, nil
}

// assumptions parses the plan's flags.
func assumptions(widths, targets, durations stepFlag) (statemachine.Assumptions, error) {
	a := statemachine.Assumptions{Widths: map[string]int{}, Targets: map[string]string{}, Durations: map[string]time.Duration{}}
	for step, v := range widths {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return a, usage.Errorf("--width %s=%s: the width is a number of items, 0 or more (--width %s=1000)", step, v, step)
		}
		a.Widths[step] = n
	}
	for step, v := range targets {
		a.Targets[step] = v
	}
	for step, v := range durations {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return a, usage.Errorf("--duration %s=%s: the run time is a positive duration (--duration %s=10m)", step, v, step)
		}
		a.Durations[step] = d
	}
	return a, nil
}

// stepFlag collects STEP=VALUE flags.
type stepFlag map[string]string

func (s stepFlag) String() string { return "" }

func (s stepFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" || val == "" {
		return fmt.Errorf("%q: write STEP=VALUE", v)
	}
	s[k] = val
	return nil
}

// planSummary is the plan's one line, as create prints it.
func planSummary(p *statemachine.Plan, invocation string) string {
	var as []string
	for _, st := range p.Steps {
		if w, ok := p.Widths[st.Step]; ok {
			as = append(as, fmt.Sprintf("%s=%d", st.Step, w))
		}
	}
	at := ""
	if len(as) > 0 {
		at = " with foreach widths " + strings.Join(as, ",")
	}
	line := fmt.Sprintf("plan: one run%s takes %d state transitions (%s), %d Batch jobs, %d SubmitJob calls",
		at, p.Transitions, usd(float64(p.Transitions)*statemachine.Prices.Transition.USD), p.Jobs, p.SubmitJobs)
	if len(p.Broken) > 0 {
		line += fmt.Sprintf("; breaks %d AWS limit(s)", len(p.Broken))
	}
	return line + fmt.Sprintf("; details: %s step-functions plan\n", invocation)
}

// printPlanSummary prints the one line of the plan of the deployed flow at
// the default assumptions (create). The images do not change a count, so
// the settings before create pushed them do (placeholder digests).
func printPlanSummary(env *command.Env, g *graph.Graph, s statemachine.Settings) error {
	res, err := statemachine.Compile(g, s)
	if err != nil {
		return fmt.Errorf("plan of the deployed flow: %w", err)
	}
	p, err := res.Plan(statemachine.Assumptions{})
	if err != nil {
		return fmt.Errorf("plan of the deployed flow: %w", err)
	}
	fmt.Fprint(env.Stdout, planSummary(p, env.Invocation()))
	return nil
}
