package graph

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
)

// The rules of AWS Batch on a step's resources and Batch options. They are
// the only ones: the job-definition builder (internal/aws/jobdef) trusts a
// linted graph and only translates, so `check` reports every Batch problem
// at once, locally, before any deploy.

// ec2LogDrivers and fargateLogDrivers are the log drivers AWS Batch
// supports on each platform.
var (
	ec2LogDrivers     = []string{"awsfirelens", "awslogs", "fluentd", "gelf", "journald", "json-file", "splunk", "syslog"}
	fargateLogDrivers = []string{"awsfirelens", "awslogs", "splunk"}
)

// Fargate ephemeral storage bounds, GiB.
const (
	minFargateDiskGiB = 21
	maxFargateDiskGiB = 200
)

// batchSize parses a size for AWS Batch, which takes MiB as a 32-bit
// integer; ok is false after a violation.
func (l *linter) batchSize(s *flow.Step, rule, fix, what, v string) (mib int, ok bool) {
	n, err := flow.ParseMiB(v)
	switch {
	case err != nil:
		l.add(s.Name, rule, fix, "%s: %v", what, err)
		return 0, false
	case n > math.MaxInt32:
		l.add(s.Name, rule, "use a smaller size", "%s %s is too large", what, v)
		return 0, false
	}
	return int(n), true
}

func (l *linter) resources(s *flow.Step) {
	r, fargate := s.Options.Resources, s.Options.Batch.Platform == "FARGATE"
	if r.CPU < 0 {
		l.add(s.Name, "resources", "use a positive number of vCPUs", "cpu %g is negative", r.CPU)
	}
	if r.GPU < 0 {
		l.add(s.Name, "resources", "use zero or more GPUs", "gpu %d is negative", r.GPU)
	}
	const sizeFix = "write a size like 512MiB, 8GiB or 4096 (MiB)"
	mem, memOK := flow.DefaultMemoryMiB, true
	if r.Memory != "" {
		mem, memOK = l.batchSize(s, "resources", sizeFix, "memory", r.Memory)
	}
	if r.SharedMemory != "" {
		if n, ok := l.batchSize(s, "resources", sizeFix, "shared memory", r.SharedMemory); ok && n <= 0 {
			l.add(s.Name, "resources", "give a positive size", "shared memory must be positive")
		}
	}
	disk, diskOK := 0, false
	if r.Disk != "" {
		disk, diskOK = l.batchSize(s, "resources", sizeFix, "disk", r.Disk)
	}
	cpu := r.CPU
	if cpu == 0 {
		cpu = flow.DefaultCPU
	}
	if !fargate && cpu > 0 && cpu != math.Trunc(cpu) {
		l.add(s.Name, "batch-cpu", "use a whole number of vCPUs on EC2, or run the step on FARGATE",
			"cpu %g is fractional, which AWS Batch refuses on EC2", cpu)
	}
	if !fargate && memOK && mem < 4 {
		l.add(s.Name, "batch-memory", "give at least 4MiB of memory", "memory %d MiB is below the AWS Batch minimum", mem)
	}
	if fargate && cpu > 0 && memOK && !validFargateSize(cpu, mem) {
		l.add(s.Name, "fargate-size", "pick a Fargate size: 0.25 vCPU with 512-2048 MiB, 0.5 with 1-4 GiB, 1 with 2-8 GiB, 2 with 4-16 GiB, 4 with 8-30 GiB (1 GiB steps), 8 with 16-60 GiB (4 GiB steps), 16 with 32-120 GiB (8 GiB steps)",
			"%g vCPU with %d MiB of memory is not a Fargate size", cpu, mem)
	}
	if gib := (disk + 1023) / 1024; fargate && diskOK && (gib < minFargateDiskGiB || gib > maxFargateDiskGiB) {
		l.add(s.Name, "fargate-disk", fmt.Sprintf("use %dGiB to %dGiB", minFargateDiskGiB, maxFargateDiskGiB),
			"disk %s is outside the Fargate ephemeral storage range", r.Disk)
	}
}

func (l *linter) batch(s *flow.Step) {
	b := s.Options.Batch
	switch b.Platform {
	case "", "EC2", "FARGATE":
	default:
		l.add(s.Name, "batch-platform", `use "EC2" or "FARGATE"`, "platform %q is not known", b.Platform)
	}
	fargate := b.Platform == "FARGATE"
	if fargate {
		ec2Only := []struct {
			set  bool
			name string
		}{
			{len(b.Tmpfs) > 0, "tmpfs"}, {len(b.HostVolumes) > 0, "host volumes"}, {b.Swap != "", "swap"},
			{b.Swappiness != nil, "swappiness"}, {b.Privileged, "privileged"}, {s.Options.Resources.GPU > 0, "GPUs"},
			{b.Inferentia > 0, "Inferentia devices"}, {b.Trainium > 0, "Trainium devices"}, {b.EFA > 0, "EFA devices"},
			{s.Options.Resources.SharedMemory != "", "shared memory"},
		}
		for _, c := range ec2Only {
			if c.set {
				l.add(s.Name, "fargate", "remove it or run the step on EC2", "%s are not supported by AWS Batch on Fargate", c.name)
			}
		}
	}
	if b.Swappiness != nil {
		if *b.Swappiness < 0 || *b.Swappiness > 100 {
			l.add(s.Name, "batch-swappiness", "use 0 to 100", "swappiness %d is out of range", *b.Swappiness)
		}
		if b.Swap == "" && !fargate {
			l.add(s.Name, "batch-swappiness", "set Swap too (AWS Batch ignores swappiness without maxSwap)", "swappiness is set without swap")
		}
	}
	if b.Swap != "" {
		l.batchSize(s, "batch-swap", "write a size like 2GiB", "swap", b.Swap)
	}
	l.batchVolumes(s)
	for _, n := range []struct {
		name string
		v    int
	}{{"inferentia", b.Inferentia}, {"trainium", b.Trainium}, {"efa", b.EFA}} {
		if n.v < 0 {
			l.add(s.Name, "batch-devices", "use zero or more devices", "%s count %d is negative", n.name, n.v)
		}
	}
	if b.Inferentia > 0 && b.Trainium > 0 {
		l.add(s.Name, "batch-devices", "give Inferentia or Trainium devices, not both (both are /dev/neuron devices)",
			"both Inferentia and Trainium devices are set")
	}
	switch allowed := logDrivers(fargate); {
	case b.LogDriver == "" && len(b.LogOptions) > 0:
		l.add(s.Name, "batch-log", "set LogDriver too (e.g. awslogs)", "log options are set without a log driver")
	case b.LogDriver != "" && !slices.Contains(allowed, b.LogDriver):
		l.add(s.Name, "batch-log", "use one of: "+strings.Join(allowed, ", "),
			"log driver %q is not supported by AWS Batch on %s", b.LogDriver, platformName(fargate))
	}
}

// batchVolumes checks the tmpfs, host and EFS volumes of a step.
func (l *linter) batchVolumes(s *flow.Step) {
	b := s.Options.Batch
	for _, t := range b.Tmpfs {
		if !strings.HasPrefix(t.Path, "/") {
			l.add(s.Name, "batch-tmpfs", "use an absolute container path", "tmpfs path %q is not absolute", t.Path)
		}
		if n, ok := l.batchSize(s, "batch-tmpfs", "write a size like 1GiB", "tmpfs "+t.Path, t.Size); ok && n <= 0 {
			l.add(s.Name, "batch-tmpfs", "give the tmpfs a positive size", "tmpfs %s has no size", t.Path)
		}
	}
	mounts := map[string]bool{}
	mount := func(path string) {
		if mounts[path] {
			l.add(s.Name, "batch-mount", "mount each container path once", "two volumes are mounted at %s", path)
		}
		mounts[path] = true
	}
	for _, v := range b.EFS {
		if !strings.HasPrefix(v.FileSystemID, "fs-") {
			l.add(s.Name, "batch-efs", "use the file system id, e.g. fs-0123abcd", "EFS file system id %q is not valid", v.FileSystemID)
		}
		if !strings.HasPrefix(v.Path, "/") {
			l.add(s.Name, "batch-efs", "use an absolute container path", "EFS mount path %q is not absolute", v.Path)
		}
		mount(v.Path)
	}
	for _, v := range b.HostVolumes {
		if !strings.HasPrefix(v.HostPath, "/") || !strings.HasPrefix(v.Path, "/") {
			l.add(s.Name, "batch-host-volume", "use absolute host and container paths", "host volume %q:%q is not absolute", v.HostPath, v.Path)
		}
		mount(v.Path)
	}
}

// platformName is the AWS Batch platform of a step: "FARGATE" or "EC2".
func platformName(fargate bool) string {
	if fargate {
		return "FARGATE"
	}
	return "EC2"
}

// logDrivers returns the log drivers AWS Batch supports on the platform.
func logDrivers(fargate bool) []string {
	if fargate {
		return fargateLogDrivers
	}
	return ec2LogDrivers
}

// validFargateSize reports whether cpu vCPUs with mem MiB is a Fargate
// size.
func validFargateSize(cpu float64, mem int) bool {
	const g = 1024
	in := func(lo, hi, step int) bool { return mem >= lo && mem <= hi && (mem-lo)%step == 0 }
	switch cpu {
	case 0.25:
		return mem == 512 || mem == 1024 || mem == 2048
	case 0.5:
		return in(1*g, 4*g, g)
	case 1:
		return in(2*g, 8*g, g)
	case 2:
		return in(4*g, 16*g, g)
	case 4:
		return in(8*g, 30*g, g)
	case 8:
		return in(16*g, 60*g, 4*g)
	case 16:
		return in(32*g, 120*g, 8*g)
	}
	return false
}
