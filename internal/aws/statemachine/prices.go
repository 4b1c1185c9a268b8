package statemachine

// Price is one list price of a plan, in US dollars, or unknown: a figure
// the sources at hand did not give is not invented (Known false), and the
// plan says so.
type Price struct {
	What   string  // what is billed, e.g. "Step Functions Standard state transition"
	Unit   string  // the unit the price is per
	USD    float64 // per unit
	Known  bool
	Source string // where the figure was read, and when
}

// PriceRegion is the region of Prices: a plan for another region uses
// them and says so.
const PriceRegion = "us-east-1"

// Prices are AWS's on-demand list prices in us-east-1, in one table.
//
// Sources (read 2026-12-07 through the documentation search of the
// development environment; check them before relying on a figure):
//   - Step Functions Standard: $0.025 per 1,000 state transitions, as AWS's
//     own guidance quotes it (github.com/aws/agent-toolkit-for-aws,
//     plugins/aws-startup-advisor/skills/architect-for-startups/references/step-functions.md);
//     the price page is https://aws.amazon.com/step-functions/pricing/.
//   - Fargate Linux/x86 vCPU: $0.000011244 per vCPU-second in US East (N.
//     Virginia), the example of https://aws.amazon.com/ecs/pricing/ (as
//     transcribed on 2026-09-20 by api-evangelist/amazon-ecs,
//     plans/amazon-ecs-plans-pricing.yml): $0.0404784 per vCPU-hour.
//   - Fargate Linux/x86 memory: $0.004445 per GB-hour in US East (N.
//     Virginia), as the us-east-1 rate table of
//     https://vantage.sh/blog/fargate-pricing and a March 2026 guide
//     (https://www.wring.co/blog/aws-fargate-pricing-guide) transcribe
//     https://aws.amazon.com/fargate/pricing/ (which renders its rates
//     dynamically); the same sources give $0.04048 per vCPU-hour, in line
//     with the figure above.
var Prices = struct {
	Transition, FargateVCPUHour, FargateGBHour Price
}{
	Transition: Price{What: "Step Functions Standard state transition", Unit: "transition", USD: 0.025 / 1000, Known: true,
		Source: "$0.025 per 1,000 (https://aws.amazon.com/step-functions/pricing/, as quoted by AWS's agent-toolkit-for-aws; read 2026-12-07)"},
	FargateVCPUHour: Price{What: "Fargate vCPU (Linux/x86)", Unit: "vCPU-hour", USD: 0.000011244 * 3600, Known: true,
		Source: "$0.000011244 per vCPU-second (https://aws.amazon.com/ecs/pricing/ example, transcribed 2026-09-20; read 2026-12-07)"},
	FargateGBHour: Price{What: "Fargate memory (Linux/x86)", Unit: "GB-hour", USD: 0.004445, Known: true,
		Source: "$0.004445 per GB-hour (https://aws.amazon.com/fargate/pricing/, us-east-1 Linux/x86, as transcribed by vantage.sh and wring.co; read 2026-12-07)"},
}

// FargateMinimum is the least Fargate bills a task: one minute.
const FargateMinimum = 60 // seconds
