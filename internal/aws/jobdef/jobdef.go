// Package batch builds AWS Batch job definitions from a step's options: one
// definition per distinct container configuration, named by a hash of its
// content, in the shape of the RegisterJobDefinition request. It is pure: it
// makes no AWS call. Combinations that AWS Batch rejects are refused here,
// at compile time, with a message that names the step.
package jobdef

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/taskcontract"
)

// JobDefinition mirrors the RegisterJobDefinition request (camelCase, as
// the Batch API spells it). Field order is the JSON key order.
type JobDefinition struct {
	JobDefinitionName    string              `json:"jobDefinitionName"`
	Type                 string              `json:"type"`
	Parameters           map[string]string   `json:"parameters,omitempty"`
	ContainerProperties  ContainerProperties `json:"containerProperties"`
	PlatformCapabilities []string            `json:"platformCapabilities"`
	RetryStrategy        RetryStrategy       `json:"retryStrategy"`
	PropagateTags        bool                `json:"propagateTags"`
	Tags                 map[string]string   `json:"tags,omitempty"`
}

// ContainerProperties is the container of a job definition.
type ContainerProperties struct {
	Image                        string                        `json:"image"`
	Command                      []string                      `json:"command"`
	JobRoleArn                   string                        `json:"jobRoleArn,omitempty"`
	ExecutionRoleArn             string                        `json:"executionRoleArn,omitempty"`
	ResourceRequirements         []ResourceRequirement         `json:"resourceRequirements"`
	Environment                  []KeyValuePair                `json:"environment,omitempty"`
	LinuxParameters              *LinuxParameters              `json:"linuxParameters,omitempty"`
	Volumes                      []Volume                      `json:"volumes,omitempty"`
	MountPoints                  []MountPoint                  `json:"mountPoints,omitempty"`
	LogConfiguration             *LogConfiguration             `json:"logConfiguration,omitempty"`
	Privileged                   bool                          `json:"privileged,omitempty"`
	EphemeralStorage             *EphemeralStorage             `json:"ephemeralStorage,omitempty"`
	NetworkConfiguration         *NetworkConfiguration         `json:"networkConfiguration,omitempty"`
	FargatePlatformConfiguration *FargatePlatformConfiguration `json:"fargatePlatformConfiguration,omitempty"`
}

// ResourceRequirement is one of VCPU, MEMORY (MiB) or GPU.
type ResourceRequirement struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// KeyValuePair is an environment variable.
type KeyValuePair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// LinuxParameters are the EC2-only container settings.
type LinuxParameters struct {
	SharedMemorySize int      `json:"sharedMemorySize,omitempty"`
	MaxSwap          *int     `json:"maxSwap,omitempty"`
	Swappiness       *int     `json:"swappiness,omitempty"`
	Tmpfs            []Tmpfs  `json:"tmpfs,omitempty"`
	Devices          []Device `json:"devices,omitempty"`
}

// Tmpfs is one tmpfs mount; Size is in MiB.
type Tmpfs struct {
	ContainerPath string   `json:"containerPath"`
	Size          int      `json:"size"`
	MountOptions  []string `json:"mountOptions,omitempty"`
}

// Device is a host device exposed to the container.
type Device struct {
	HostPath      string   `json:"hostPath"`
	ContainerPath string   `json:"containerPath"`
	Permissions   []string `json:"permissions"`
}

// Volume is a host path or an EFS file system.
type Volume struct {
	Name                   string                  `json:"name"`
	Host                   *Host                   `json:"host,omitempty"`
	EfsVolumeConfiguration *EfsVolumeConfiguration `json:"efsVolumeConfiguration,omitempty"`
}

// Host is a host path volume.
type Host struct {
	SourcePath string `json:"sourcePath"`
}

// EfsVolumeConfiguration mounts an EFS file system.
type EfsVolumeConfiguration struct {
	FileSystemID      string `json:"fileSystemId"`
	RootDirectory     string `json:"rootDirectory,omitempty"`
	TransitEncryption string `json:"transitEncryption"`
}

// MountPoint mounts a volume in the container.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume"`
	ContainerPath string `json:"containerPath"`
	ReadOnly      bool   `json:"readOnly"`
}

// LogConfiguration is the container's log driver.
type LogConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options,omitempty"`
}

// EphemeralStorage is the Fargate task storage, 21 to 200 GiB.
type EphemeralStorage struct {
	SizeInGiB int `json:"sizeInGiB"`
}

// NetworkConfiguration is Fargate networking.
type NetworkConfiguration struct {
	AssignPublicIP string `json:"assignPublicIp"`
}

// FargatePlatformConfiguration pins the Fargate platform version.
type FargatePlatformConfiguration struct {
	PlatformVersion string `json:"platformVersion"`
}

// RetryStrategy is Batch's own retry; Stepflow retries with Step Functions,
// so it is always one attempt.
type RetryStrategy struct {
	Attempts int `json:"attempts"`
}

// Defaults are the deploy settings a step's own Batch options override.
type Defaults struct {
	Flow          string // flow name: prefix of the definition name
	Image         string
	JobRole       string
	ExecutionRole string
	// Env is baked into every definition (flow-wide constants of the task
	// environment), in this order.
	Env []KeyValuePair
}

// Default resources of a step that gives none.
const (
	DefaultCPU       = 1.0
	DefaultMemoryMiB = 4096
)

// EnvCaptureLogs is set to 1 in every job definition: the step command
// then runs the attempt in a child process, saves its stdout and stderr
// with the attempt and records a crash (docs/task-contract.md).
const EnvCaptureLogs = taskcontract.EnvCaptureLogs

// CodeURLParam is the Batch parameter that holds the code package URL; the
// job command reads it as Ref::code_url.
const CodeURLParam = "code_url"

// Error is a step whose options AWS Batch would reject.
type Error struct {
	Step    string
	Problem string
	Fix     string
}

func (e *Error) Error() string {
	return fmt.Sprintf("step %s: %s; %s", e.Step, e.Problem, e.Fix)
}

// Errors lists every problem found in one step.
type Errors []*Error

func (es Errors) Error() string {
	var parts []string
	for _, e := range es {
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "\n")
}

// Build returns the job definition of a step, and warnings about options
// that have no effect on AWS Batch. The error is an Errors value.
func Build(step string, o flow.Options, d Defaults) (*JobDefinition, []string, error) {
	b := &builder{step: step}
	jd := b.build(o, d)
	if len(b.errs) > 0 {
		return nil, b.warns, b.errs
	}
	jd.JobDefinitionName = Name(d.Flow, jd)
	return jd, b.warns, nil
}

type builder struct {
	step  string
	errs  Errors
	warns []string
}

func (b *builder) fail(fix, format string, args ...any) {
	b.errs = append(b.errs, &Error{Step: b.step, Problem: fmt.Sprintf(format, args...), Fix: fix})
}

func (b *builder) mib(what, s string) int {
	n, err := flow.ParseMiB(s)
	if err != nil {
		b.fail("write a size like 512MiB or 8GiB", "%s: %v", what, err)
		return 0
	}
	if n > math.MaxInt32 {
		b.fail("use a smaller size", "%s %s is too large", what, s)
		return 0
	}
	return int(n)
}

var ec2LogDrivers = []string{"awsfirelens", "awslogs", "fluentd", "gelf", "journald", "json-file", "splunk", "syslog"}
var fargateLogDrivers = []string{"awsfirelens", "awslogs", "splunk"}

func (b *builder) build(o flow.Options, d Defaults) *JobDefinition {
	bo, r := o.Batch, o.Resources
	fargate := false
	switch bo.Platform {
	case "", "EC2":
	case "FARGATE":
		fargate = true
	default:
		b.fail(`use "EC2" or "FARGATE"`, "platform %q is not known to AWS Batch", bo.Platform)
	}
	cp := ContainerProperties{
		Image:            first(bo.Image, d.Image),
		Command:          Command(d.Flow),
		JobRoleArn:       first(bo.JobRole, d.JobRole),
		ExecutionRoleArn: first(bo.ExecutionRole, d.ExecutionRole),
		// No runtime watches a Batch task: the step command supervises
		// itself (saves its output, records its crash).
		Environment: append(slices.Clone(d.Env), KeyValuePair{Name: EnvCaptureLogs, Value: taskcontract.CaptureLogs}),
	}
	if cp.Image == "" {
		b.fail("set the image with --image, STEPFLOW_BATCH_IMAGE or stepflow.Batch{Image: ...}", "no container image")
	}
	if !fargate && bo.ExecutionRole == "" {
		// The execution role matters only on Fargate (or for private
		// registries and secrets, which Stepflow does not use); leave the
		// default out of EC2 definitions so they do not change with it.
		cp.ExecutionRoleArn = ""
	}

	// Resources.
	cpu := r.CPU
	if cpu == 0 {
		cpu = DefaultCPU
	}
	mem := DefaultMemoryMiB
	if r.Memory != "" {
		mem = b.mib("memory", r.Memory)
	}
	switch {
	case cpu <= 0:
		b.fail("use a positive number of vCPUs", "cpu %g is not positive", cpu)
	case !fargate && cpu != math.Trunc(cpu):
		b.fail("use a whole number of vCPUs on EC2, or run the step on FARGATE", "cpu %g is fractional, which AWS Batch refuses on EC2", cpu)
	}
	if !fargate && mem < 4 {
		b.fail("give at least 4MiB of memory", "memory %d MiB is below the AWS Batch minimum", mem)
	}
	if fargate && !validFargate(cpu, mem) {
		b.fail("pick a Fargate size: 0.25 vCPU with 512-2048 MiB, 0.5 with 1-4 GiB, 1 with 2-8 GiB, 2 with 4-16 GiB, 4 with 8-30 GiB (1 GiB steps), 8 with 16-60 GiB (4 GiB steps), 16 with 32-120 GiB (8 GiB steps)",
			"%g vCPU with %d MiB of memory is not a Fargate size", cpu, mem)
	}
	cp.ResourceRequirements = []ResourceRequirement{
		{Type: "VCPU", Value: strconv.FormatFloat(cpu, 'g', -1, 64)},
		{Type: "MEMORY", Value: strconv.Itoa(mem)},
	}
	if r.GPU > 0 {
		if fargate {
			b.fail("run the step on EC2", "GPUs are not supported by AWS Batch on Fargate")
		}
		cp.ResourceRequirements = append(cp.ResourceRequirements, ResourceRequirement{Type: "GPU", Value: strconv.Itoa(r.GPU)})
	} else if r.GPU < 0 {
		b.fail("use zero or more GPUs", "gpu %d is negative", r.GPU)
	}

	// EC2-only settings.
	ec2Only := func(set bool, what string) bool {
		if set && fargate {
			b.fail("remove it or run the step on EC2", "%s: not supported by AWS Batch on Fargate", what)
			return false
		}
		return set
	}
	lp := &LinuxParameters{}
	if ec2Only(r.SharedMemory != "", "shared memory") {
		lp.SharedMemorySize = b.mib("shared memory", r.SharedMemory)
		if lp.SharedMemorySize <= 0 {
			b.fail("give a positive size", "shared memory must be positive")
		}
	}
	if ec2Only(bo.Swap != "", "swap") {
		n := b.mib("swap", bo.Swap)
		lp.MaxSwap = &n
	}
	if ec2Only(bo.Swappiness != nil, "swappiness") {
		if s := *bo.Swappiness; s < 0 || s > 100 {
			b.fail("use 0 to 100", "swappiness %d is out of range", s)
		}
		if bo.Swap == "" {
			b.fail("set Swap too (AWS Batch ignores swappiness without maxSwap)", "swappiness is set without swap")
		}
		s := *bo.Swappiness
		lp.Swappiness = &s
	}
	if ec2Only(len(bo.Tmpfs) > 0, "tmpfs") {
		for _, t := range bo.Tmpfs {
			if !strings.HasPrefix(t.Path, "/") {
				b.fail("use an absolute container path", "tmpfs path %q is not absolute", t.Path)
			}
			n := b.mib("tmpfs "+t.Path, t.Size)
			if n <= 0 {
				b.fail("give the tmpfs a positive size", "tmpfs %s has no size", t.Path)
			}
			lp.Tmpfs = append(lp.Tmpfs, Tmpfs{ContainerPath: t.Path, Size: n, MountOptions: t.Opts})
		}
	}
	if bo.Inferentia > 0 && bo.Trainium > 0 {
		b.fail("give Inferentia or Trainium devices, not both (both are /dev/neuron devices)", "both Inferentia and Trainium devices are set")
	}
	if n := max(bo.Inferentia, bo.Trainium); ec2Only(n > 0, "Inferentia/Trainium devices") {
		for i := range n {
			p := fmt.Sprintf("/dev/neuron%d", i)
			lp.Devices = append(lp.Devices, Device{HostPath: p, ContainerPath: p, Permissions: []string{"READ", "WRITE"}})
		}
	}
	if ec2Only(bo.EFA > 0, "EFA devices") {
		for i := range bo.EFA {
			p := fmt.Sprintf("/dev/infiniband/uverbs%d", i)
			lp.Devices = append(lp.Devices, Device{HostPath: p, ContainerPath: p, Permissions: []string{"READ", "WRITE", "MKNOD"}})
		}
	}
	for _, n := range []struct {
		what string
		v    int
	}{{"inferentia", bo.Inferentia}, {"trainium", bo.Trainium}, {"efa", bo.EFA}} {
		if n.v < 0 {
			b.fail("use zero or more devices", "%s count %d is negative", n.what, n.v)
		}
	}
	if !reflectZero(lp) {
		cp.LinuxParameters = lp
	}
	cp.Privileged = ec2Only(bo.Privileged, "privileged")

	// Volumes.
	for i, v := range bo.HostVolumes {
		if !ec2Only(true, "host volumes") {
			break
		}
		if !strings.HasPrefix(v.HostPath, "/") || !strings.HasPrefix(v.Path, "/") {
			b.fail("use absolute host and container paths", "host volume %q:%q is not absolute", v.HostPath, v.Path)
		}
		name := fmt.Sprintf("host-%d", i)
		cp.Volumes = append(cp.Volumes, Volume{Name: name, Host: &Host{SourcePath: v.HostPath}})
		cp.MountPoints = append(cp.MountPoints, MountPoint{SourceVolume: name, ContainerPath: v.Path, ReadOnly: v.ReadOnly})
	}
	for i, v := range bo.EFS {
		if !strings.HasPrefix(v.FileSystemID, "fs-") {
			b.fail("use the file system id, e.g. fs-0123abcd", "EFS file system id %q is not valid", v.FileSystemID)
		}
		if !strings.HasPrefix(v.Path, "/") {
			b.fail("use an absolute container path", "EFS mount path %q is not absolute", v.Path)
		}
		name := fmt.Sprintf("efs-%d", i)
		cp.Volumes = append(cp.Volumes, Volume{Name: name, EfsVolumeConfiguration: &EfsVolumeConfiguration{
			FileSystemID: v.FileSystemID, RootDirectory: v.RootDir, TransitEncryption: "ENABLED"}})
		cp.MountPoints = append(cp.MountPoints, MountPoint{SourceVolume: name, ContainerPath: v.Path, ReadOnly: v.ReadOnly})
	}
	seen := map[string]bool{}
	for _, m := range cp.MountPoints {
		if seen[m.ContainerPath] {
			b.fail("mount each container path once", "two volumes are mounted at %s", m.ContainerPath)
		}
		seen[m.ContainerPath] = true
	}

	// Logs.
	if bo.LogDriver != "" {
		allowed := ec2LogDrivers
		if fargate {
			allowed = fargateLogDrivers
		}
		if !slices.Contains(allowed, bo.LogDriver) {
			b.fail("use one of: "+strings.Join(allowed, ", "), "log driver %q is not supported by AWS Batch on %s", bo.LogDriver, platform(fargate))
		}
		cp.LogConfiguration = &LogConfiguration{LogDriver: bo.LogDriver, Options: bo.LogOptions}
	} else if len(bo.LogOptions) > 0 {
		b.fail("set LogDriver too (e.g. awslogs)", "log options are set without a log driver")
	}

	// Platform.
	if fargate {
		if cp.ExecutionRoleArn == "" {
			b.fail("set --execution-role, STEPFLOW_BATCH_EXECUTION_ROLE or stepflow.Batch{ExecutionRole: ...}", "AWS Batch on Fargate needs an execution role")
		}
		cp.NetworkConfiguration = &NetworkConfiguration{AssignPublicIP: "ENABLED"}
		cp.FargatePlatformConfiguration = &FargatePlatformConfiguration{PlatformVersion: "LATEST"}
		if r.Disk != "" {
			n := b.mib("disk", r.Disk)
			gib := (n + 1023) / 1024
			if gib < 21 || gib > 200 {
				b.fail("use 21GiB to 200GiB", "disk %s is outside the Fargate ephemeral storage range", r.Disk)
			}
			cp.EphemeralStorage = &EphemeralStorage{SizeInGiB: gib}
		}
	} else if r.Disk != "" {
		b.warns = append(b.warns, fmt.Sprintf("step %s: Disk %s has no effect on AWS Batch on EC2 (the compute environment's launch template sets the disk); it applies on Fargate only", b.step, r.Disk))
	}

	jd := &JobDefinition{
		Type:                 "container",
		Parameters:           map[string]string{CodeURLParam: "none"},
		ContainerProperties:  cp,
		PlatformCapabilities: []string{platform(fargate)},
		RetryStrategy:        RetryStrategy{Attempts: 1},
		PropagateTags:        true,
		Tags:                 map[string]string{"stepflow:flow": d.Flow},
	}
	return jd
}

func platform(fargate bool) string {
	if fargate {
		return "FARGATE"
	}
	return "EC2"
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func reflectZero(lp *LinuxParameters) bool {
	return lp.SharedMemorySize == 0 && lp.MaxSwap == nil && lp.Swappiness == nil && len(lp.Tmpfs) == 0 && len(lp.Devices) == 0
}

// validFargate reports whether cpu vCPUs with mem MiB is a Fargate size.
func validFargate(cpu float64, mem int) bool {
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

// Name returns "<flow>-<hash>": the first 16 hex digits of the SHA-256 of
// the definition's content (without its name). Equal content, equal name;
// any change, a new name, so a deploy never alters a definition that
// running executions use.
func Name(flowName string, jd *JobDefinition) string {
	c := *jd
	c.JobDefinitionName = ""
	data, err := Marshal(&c)
	if err != nil {
		panic(err) // plain structs always marshal
	}
	sum := sha256.Sum256(data)
	name := flowName + "-" + hex.EncodeToString(sum[:8])
	if len(name) > 128 {
		name = name[len(name)-128:]
	}
	return name
}

// Marshal encodes v as indented JSON (2 spaces) without HTML escaping, with
// a final newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
