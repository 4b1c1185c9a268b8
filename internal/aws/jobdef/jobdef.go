// Package batch builds AWS Batch job definitions from a step's options: one
// definition per distinct container configuration, named by a hash of its
// content, in the shape of the RegisterJobDefinition request. It is pure: it
// makes no AWS call. It only translates: the rules of AWS Batch on a step's
// options live in the linter (internal/graph), which `check` runs.
package jobdef

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

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
	Image         string // the flow image by digest of the step (its own base's, or the flow's)
	JobRole       string
	ExecutionRole string
	// AssignPublicIP is the Fargate tasks' assignPublicIp; empty: ENABLED.
	AssignPublicIP string
	// Env is baked into every definition (flow-wide constants of the task
	// environment), in this order.
	Env []KeyValuePair
}

// EnvCaptureLogs is set to 1 in every job definition: the step command
// then runs the attempt in a child process, saves its stdout and stderr
// with the attempt and records a crash (docs/task-contract.md).
const EnvCaptureLogs = taskcontract.EnvCaptureLogs

// Build returns the job definition of a step, and warnings about options
// that have no effect on AWS Batch. It only translates: the step's options
// obey the rules of AWS Batch, which the linter (internal/graph) checks, and
// the settings it needs are present, which the compiler checks.
func Build(step string, o flow.Options, d Defaults) (*JobDefinition, []string) {
	fargate := o.Batch.Platform == "FARGATE"
	cp := ContainerProperties{
		Image:            d.Image,
		Command:          Command(),
		JobRoleArn:       first(o.Batch.JobRole, d.JobRole),
		ExecutionRoleArn: first(o.Batch.ExecutionRole, d.ExecutionRole),
		// No runtime watches a Batch task: the step command supervises
		// itself (saves its output, records its crash).
		Environment:          append(slices.Clone(d.Env), KeyValuePair{Name: EnvCaptureLogs, Value: taskcontract.CaptureLogs}),
		ResourceRequirements: resources(o.Resources),
		LinuxParameters:      linuxParameters(o),
		Privileged:           o.Batch.Privileged,
	}
	if !fargate && o.Batch.ExecutionRole == "" {
		// The execution role matters only on Fargate (or for private
		// registries and secrets, which Stepflow does not use); leave the
		// default out of EC2 definitions so they do not change with it.
		cp.ExecutionRoleArn = ""
	}
	cp.Volumes, cp.MountPoints = volumes(o.Batch)
	if o.Batch.LogDriver != "" {
		cp.LogConfiguration = &LogConfiguration{LogDriver: o.Batch.LogDriver, Options: o.Batch.LogOptions}
	}
	var warns []string
	if fargate {
		cp.NetworkConfiguration = &NetworkConfiguration{AssignPublicIP: first(d.AssignPublicIP, "ENABLED")}
		cp.FargatePlatformConfiguration = &FargatePlatformConfiguration{PlatformVersion: "LATEST"}
		if o.Resources.Disk != "" {
			cp.EphemeralStorage = &EphemeralStorage{SizeInGiB: (mib(o.Resources.Disk) + 1023) / 1024}
		}
	} else if o.Resources.Disk != "" {
		warns = append(warns, fmt.Sprintf("step %s: Disk %s has no effect on AWS Batch on EC2 (the compute environment's launch template sets the disk); it applies on Fargate only", step, o.Resources.Disk))
	}
	jd := &JobDefinition{
		Type:                 "container",
		ContainerProperties:  cp,
		PlatformCapabilities: []string{platform(fargate)},
		RetryStrategy:        RetryStrategy{Attempts: 1},
		PropagateTags:        true,
		Tags:                 map[string]string{"stepflow:flow": d.Flow},
	}
	jd.JobDefinitionName = Name(d.Flow, jd)
	return jd, warns
}

// mib is a size the linter has checked, in MiB.
func mib(s string) int {
	n, _ := flow.ParseMiB(s)
	return int(n)
}

// resources are the VCPU, MEMORY and GPU requirements.
func resources(r flow.Resources) []ResourceRequirement {
	cpu, mem := r.CPU, flow.DefaultMemoryMiB
	if cpu == 0 {
		cpu = flow.DefaultCPU
	}
	if r.Memory != "" {
		mem = mib(r.Memory)
	}
	rs := []ResourceRequirement{
		{Type: "VCPU", Value: strconv.FormatFloat(cpu, 'g', -1, 64)},
		{Type: "MEMORY", Value: strconv.Itoa(mem)},
	}
	if r.GPU > 0 {
		rs = append(rs, ResourceRequirement{Type: "GPU", Value: strconv.Itoa(r.GPU)})
	}
	return rs
}

// linuxParameters are the EC2-only container settings, nil when none is
// set.
func linuxParameters(o flow.Options) *LinuxParameters {
	bo := o.Batch
	lp := &LinuxParameters{}
	if o.Resources.SharedMemory != "" {
		lp.SharedMemorySize = mib(o.Resources.SharedMemory)
	}
	if bo.Swap != "" {
		n := mib(bo.Swap)
		lp.MaxSwap = &n
	}
	if bo.Swappiness != nil {
		s := *bo.Swappiness
		lp.Swappiness = &s
	}
	for _, t := range bo.Tmpfs {
		lp.Tmpfs = append(lp.Tmpfs, Tmpfs{ContainerPath: t.Path, Size: mib(t.Size), MountOptions: t.Opts})
	}
	for i := range max(bo.Inferentia, bo.Trainium) {
		p := fmt.Sprintf("/dev/neuron%d", i)
		lp.Devices = append(lp.Devices, Device{HostPath: p, ContainerPath: p, Permissions: []string{"READ", "WRITE"}})
	}
	for i := range bo.EFA {
		p := fmt.Sprintf("/dev/infiniband/uverbs%d", i)
		lp.Devices = append(lp.Devices, Device{HostPath: p, ContainerPath: p, Permissions: []string{"READ", "WRITE", "MKNOD"}})
	}
	if reflectZero(lp) {
		return nil
	}
	return lp
}

// volumes are the host and EFS volumes and their mount points.
func volumes(bo flow.Batch) ([]Volume, []MountPoint) {
	var vs []Volume
	var ms []MountPoint
	for i, v := range bo.HostVolumes {
		name := fmt.Sprintf("host-%d", i)
		vs = append(vs, Volume{Name: name, Host: &Host{SourcePath: v.HostPath}})
		ms = append(ms, MountPoint{SourceVolume: name, ContainerPath: v.Path, ReadOnly: v.ReadOnly})
	}
	for i, v := range bo.EFS {
		name := fmt.Sprintf("efs-%d", i)
		vs = append(vs, Volume{Name: name, EfsVolumeConfiguration: &EfsVolumeConfiguration{
			FileSystemID: v.FileSystemID, RootDirectory: v.RootDir, TransitEncryption: "ENABLED"}})
		ms = append(ms, MountPoint{SourceVolume: name, ContainerPath: v.Path, ReadOnly: v.ReadOnly})
	}
	return vs, ms
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
