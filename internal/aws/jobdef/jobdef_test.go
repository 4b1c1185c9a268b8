package jobdef

import (
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/flow"
)

var defaults = Defaults{Flow: "TestFlow", Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/flows@sha256:1111111111111111111111111111111111111111111111111111111111111111", JobRole: "arn:aws:iam::1:role/task"}

// TestCommand: the job runs the image's ENTRYPOINT (the flow binary) with
// the argument step, and nothing else: no shell, no aws CLI, no download.
func TestCommand(t *testing.T) {
	jd, _ := Build("train", flow.Options{}, defaults)
	cp := jd.ContainerProperties
	if strings.Join(cp.Command, " ") != "step" {
		t.Errorf("command %q, want [step]", cp.Command)
	}
	if cp.Image != defaults.Image {
		t.Errorf("image %q, want the flow image %q", cp.Image, defaults.Image)
	}
	data, err := Marshal(jd)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`"sh"`, "aws ", "s3://", "Ref::", "http"} {
		if strings.Contains(string(data), bad) {
			t.Errorf("the job definition holds %s:\n%s", bad, data)
		}
	}
}

func TestBuild(t *testing.T) {
	swap := 10
	o := flow.Options{
		Resources: flow.Resources{CPU: 4, Memory: "8GiB", GPU: 1, SharedMemory: "1GiB"},
		Batch: flow.Batch{Swap: "2GiB", Swappiness: &swap, Tmpfs: []flow.Tmpfs{{Path: "/scratch", Size: "1GiB"}},
			EFS: []flow.EFSVolume{{FileSystemID: "fs-1", Path: "/mnt/efs", ReadOnly: true}}, HostVolumes: []flow.HostVolume{{HostPath: "/data", Path: "/data"}},
			Inferentia: 2, EFA: 1, LogDriver: "awslogs", LogOptions: map[string]string{"awslogs-group": "g"}, Privileged: true},
	}
	jd, _ := Build("train", o, defaults)
	cp := jd.ContainerProperties
	if len(cp.ResourceRequirements) != 3 || cp.ResourceRequirements[1].Value != "8192" || cp.ResourceRequirements[2].Type != "GPU" {
		t.Errorf("resources: %+v", cp.ResourceRequirements)
	}
	lp := cp.LinuxParameters
	if lp.SharedMemorySize != 1024 || *lp.MaxSwap != 2048 || *lp.Swappiness != 10 || len(lp.Tmpfs) != 1 || len(lp.Devices) != 3 {
		t.Errorf("linux parameters: %+v", lp)
	}
	if len(cp.Volumes) != 2 || len(cp.MountPoints) != 2 || !cp.Privileged || cp.LogConfiguration.LogDriver != "awslogs" {
		t.Errorf("container: %+v", cp)
	}
	if jd.PlatformCapabilities[0] != "EC2" || jd.RetryStrategy.Attempts != 1 || !strings.HasPrefix(jd.JobDefinitionName, "TestFlow-") {
		t.Errorf("definition: %+v", jd)
	}
	// Same content, same name; different content, different name.
	jd2, _ := Build("other", o, defaults)
	o.Resources.CPU = 8
	jd3, _ := Build("train", o, defaults)
	if jd2.JobDefinitionName != jd.JobDefinitionName || jd3.JobDefinitionName == jd.JobDefinitionName {
		t.Errorf("names: %s %s %s", jd.JobDefinitionName, jd2.JobDefinitionName, jd3.JobDefinitionName)
	}
	f, _ := Build("report", flow.Options{Resources: flow.Resources{CPU: 0.5, Memory: "1GiB", Disk: "30GiB"},
		Batch: flow.Batch{Platform: "FARGATE", ExecutionRole: "arn:aws:iam::1:role/ecs"}}, defaults)
	if f.PlatformCapabilities[0] != "FARGATE" || f.ContainerProperties.EphemeralStorage.SizeInGiB != 30 || f.ContainerProperties.ExecutionRoleArn == "" {
		t.Errorf("fargate: %+v", f)
	}
	_, warns := Build("x", flow.Options{Resources: flow.Resources{Disk: "50GiB"}}, defaults)
	if len(warns) != 1 {
		t.Errorf("disk on EC2: %v", warns)
	}
}

// TestBootstrapCachesContentAddressed: a URL ending in the package's
// SHA-256 is fetched once per machine ($TMPDIR) and checked; s3:// URLs go
// through the aws CLI with the S3-compatible endpoint when one is set.
