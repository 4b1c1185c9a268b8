package deploy

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/stepflow/stepflow/internal/aws/flowimage"
)

// QueueArchs are the CPU architectures the compute environments of the
// deployment's job queues run, each with what runs it (for messages): the
// flow image must hold a binary for each.
type QueueArchs map[flowimage.Arch][]string

// Archs lists the architectures, sorted; none known: amd64, what AWS Batch
// runs by default.
func (q QueueArchs) Archs() []flowimage.Arch {
	set := map[flowimage.Arch]bool{}
	for a := range q {
		set[a] = true
	}
	if len(set) == 0 {
		set[flowimage.AMD64] = true
	}
	return flowimage.SortArchs(set)
}

// Why says what runs arch: "job queue q (compute environment ce: m7g.large)".
func (q QueueArchs) Why(a flowimage.Arch) string {
	if len(q[a]) == 0 {
		return "AWS Batch's default, " + string(a)
	}
	return strings.Join(q[a], "; ")
}

// graviton matches the instance families of AWS Graviton (arm64): a1, and
// a generation digit followed by letters that include g (m7g, c6gn, x2gd,
// im4gn, is4gen, g5g, hpc7g). g4dn, m6i or inf2 are x86_64.
var graviton = regexp.MustCompile(`^(a1|[a-z]+[0-9]+[a-z]*g[a-z]*)$`)

// ceArchs are the architectures a compute environment runs: Fargate runs
// x86_64 (Stepflow's job definitions set no ARM64 runtime platform); an EC2
// or Spot environment runs its instance types' (optimal and default_x86_64
// are x86_64 families, default_arm64 Graviton). An unmanaged environment
// says nothing.
func ceArchs(ce batchtypes.ComputeEnvironmentDetail) map[flowimage.Arch][]string {
	out := map[flowimage.Arch][]string{}
	cr := ce.ComputeResources
	if cr == nil {
		return out
	}
	if strings.HasPrefix(string(cr.Type), "FARGATE") {
		out[flowimage.AMD64] = append(out[flowimage.AMD64], "Fargate")
		return out
	}
	for _, it := range cr.InstanceTypes {
		family, _, _ := strings.Cut(it, ".")
		var a flowimage.Arch
		switch {
		case it == "default_arm64":
			a = flowimage.ARM64
		case it == "optimal" || it == "default_x86_64":
			a = flowimage.AMD64
		case graviton.MatchString(family):
			a = flowimage.ARM64
		default:
			a = flowimage.AMD64
		}
		out[a] = append(out[a], it)
	}
	return out
}

// addCE records what compute environment ce of queue q runs.
func (q QueueArchs) addCE(queue string, ce batchtypes.ComputeEnvironmentDetail) {
	archs := ceArchs(ce)
	keys := make([]string, 0, len(archs))
	for a := range archs {
		keys = append(keys, string(a))
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := flowimage.Arch(k)
		q[a] = append(q[a], fmt.Sprintf("job queue %s (compute environment %s: %s)", queue, deref(ce.ComputeEnvironmentName), strings.Join(archs[a], ", ")))
	}
}
