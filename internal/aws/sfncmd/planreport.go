package sfncmd

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/stepflow/stepflow/internal/aws/statemachine"
)

// planReport is the text of step-functions plan.
func planReport(p *statemachine.Plan) string {
	var b strings.Builder
	pr := statemachine.Prices
	fmt.Fprintf(&b, "plan of one run of flow %s (state machine %s)\n\n", p.Flow, p.Machine)
	b.WriteString("assumptions (change with the flags):\n")
	for _, name := range sortedKeys(p.Widths) {
		fmt.Fprintf(&b, "  --width %s=%d\n", name, p.Widths[name])
	}
	for _, name := range sortedKeys(p.Targets) {
		fmt.Fprintf(&b, "  --switch %s=%s\n", name, p.Targets[name])
	}
	for _, st := range p.Steps {
		if d, ok := p.Durations[st.Step]; ok {
			fmt.Fprintf(&b, "  --duration %s=%s\n", st.Step, d)
		}
	}
	b.WriteString("  every task succeeds at its first attempt (a retry or a catch handler adds 1 transition and 1 job)\n")
	for _, st := range p.Steps {
		if st.Step == statemachine.HookScope {
			fmt.Fprintf(&b, "  the exit hook runs %s after the run succeeds (a run that fails runs it in an execution of its own: 2 transitions, 1 job)\n", st.Duration)
		}
	}
	b.WriteString("\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	// Step names left-aligned (padded to one width), numbers right-aligned.
	wide := len("total")
	for _, st := range p.Steps {
		wide = max(wide, len(st.Step))
	}
	name := func(s string) string { return fmt.Sprintf("%-*s", wide, s) }
	fmt.Fprintln(tw, name("step")+"\ttransitions\tjobs\tSubmitJob\tplatform\tvCPU\tmemory\tvCPU-hours\t")
	var vcpuEC2, vcpuFargate, gbFargate float64
	for _, st := range p.Steps {
		if st.Step == "(run)" {
			fmt.Fprintf(tw, "%s\t%d\t\t\t\t\t\t\t\n", name(st.Step), st.Transitions)
			continue
		}
		hours := st.VCPUHours()
		if st.Platform == "FARGATE" {
			// Fargate bills at least a minute per task.
			billed := st
			if billed.Duration.Seconds() < statemachine.FargateMinimum {
				billed.Duration = statemachine.FargateMinimum * 1e9
			}
			vcpuFargate += billed.VCPUHours()
			gbFargate += billed.GBHours()
		} else {
			vcpuEC2 += hours
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%g\t%d MiB\t%.3f\t\n", name(st.Step), st.Transitions, st.Tasks, st.SubmitJobs, st.Platform, st.VCPU, st.MemoryMiB, hours)
	}
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\t\t\t%.3f\t\n", name("total"), p.Transitions, p.Jobs, p.SubmitJobs, vcpuEC2+vcpuFargate)
	tw.Flush()

	fmt.Fprintf(&b, "\nrequests: %d state transitions (%d of them helper states, not SubmitJob calls), %d Batch jobs, %d SubmitJob calls, %d DynamoDB GetItem (state machine) + %d PutItem (tasks), %d child executions\n",
		p.Transitions, p.Helpers, p.Jobs, p.SubmitJobs, p.GetItems, p.PutItems, p.Children)
	b.WriteString("S3 requests: not estimated (they depend on the artifacts each step writes and reads)\n")

	fmt.Fprintf(&b, "\nprice at %s list prices (internal/aws/statemachine/prices.go)", statemachine.PriceRegion)
	if p.Region != "" && p.Region != statemachine.PriceRegion {
		fmt.Fprintf(&b, "; the deployment's region is %s, whose prices may differ", p.Region)
	}
	b.WriteString(":\n")
	total := float64(p.Transitions) * pr.Transition.USD
	fmt.Fprintf(&b, "  Step Functions: %d transitions x %s = %s\n", p.Transitions, usd(pr.Transition.USD), usd(total))
	complete := true
	if vcpuFargate > 0 {
		c := vcpuFargate * pr.FargateVCPUHour.USD
		total += c
		fmt.Fprintf(&b, "  Fargate vCPU: %.3f vCPU-hours x %s = %s\n", vcpuFargate, usd(pr.FargateVCPUHour.USD), usd(c))
		if pr.FargateGBHour.Known {
			m := gbFargate * pr.FargateGBHour.USD
			total += m
			fmt.Fprintf(&b, "  Fargate memory: %.3f GB-hours x %s = %s\n", gbFargate, usd(pr.FargateGBHour.USD), usd(m))
		} else {
			complete = false
			fmt.Fprintf(&b, "  Fargate memory: %.3f GB-hours x unknown price: %s\n", gbFargate, pr.FargateGBHour.Source)
		}
	}
	if vcpuEC2 > 0 {
		complete = false
		fmt.Fprintf(&b, "  EC2: %.3f vCPU-hours (by step above); apply your instances' price per vCPU-hour\n", vcpuEC2)
	}
	if complete {
		fmt.Fprintf(&b, "  total: %s\n", usd(total))
	} else {
		fmt.Fprintf(&b, "  total: %s plus what is priced above as unknown or yours to apply\n", usd(total))
	}

	fmt.Fprintf(&b, "\nlimits at these assumptions: history %d events of %d", p.History, 25000)
	if p.ChunkHistory > 0 {
		fmt.Fprintf(&b, " (largest chunk's child execution: %d)", p.ChunkHistory)
	}
	fmt.Fprintf(&b, "; definition %d bytes of %d (%.1f%%)\n", p.DefinitionSize, statemachine.MaxDefinition, 100*float64(p.DefinitionSize)/statemachine.MaxDefinition)
	if len(p.Room) > 0 {
		fmt.Fprintf(&b, "  room in the definition (steps without options, %d-character names): about", 9)
		for i, r := range p.Room {
			sep := ","
			if i == 0 {
				sep = ""
			} else if i == len(p.Room)-1 {
				sep = " or"
			}
			fmt.Fprintf(&b, "%s %d more %s (%d bytes each)", sep, r.More, plural(r.Shape, r.More), r.Bytes)
		}
		b.WriteString("\n")
	}
	if p.RoomError != "" {
		fmt.Fprintf(&b, "  room in the definition: not measured (%s)\n", p.RoomError)
	}
	if len(p.Broken) == 0 {
		b.WriteString("  no limit broken\n")
	}
	for _, l := range p.Broken {
		fmt.Fprintf(&b, "  BROKEN: %s\n", l)
	}
	return b.String()
}

// plural is "linear steps" for "linear step" (and n != 1), and so on.
func plural(shape string, n int) string {
	switch {
	case n == 1:
		return shape
	case strings.HasSuffix(shape, "ch"):
		return shape + "es"
	}
	return shape + "s"
}

// usd formats dollars with enough digits for fractions of a cent.
func usd(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v < 1:
		return fmt.Sprintf("$%.6f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
