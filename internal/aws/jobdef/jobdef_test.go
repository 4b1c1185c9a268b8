package jobdef

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/flow"
)

var defaults = Defaults{Flow: "TestFlow", Image: "img", JobRole: "arn:aws:iam::1:role/task"}

func TestQuote(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("sh is needed to check quoting")
	}
	for _, s := range []string{"", "plain", "a b", "$HOME", "`id`", "$(id)", "it's", `"dq"`, "new\nline", `back\slash`, "'", "''", "-n", "*", "; rm -rf /", "\t tab"} {
		out, err := exec.Command(sh, "-c", "printf '%s' "+Quote(s)).Output()
		if err != nil {
			t.Fatalf("sh on %q: %v", s, err)
		}
		if string(out) != s {
			t.Errorf("Quote(%q) through sh gave %q", s, out)
		}
	}
}

func TestBootstrapFetchesAndRuns(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("sh is needed")
	}
	dir := t.TempDir()
	pkg := dir + "/pkg"
	// A fake code package: prints its arguments and the step.
	if err := writeFile(pkg, "#!/bin/sh\necho \"ran $1 $2\"\n"); err != nil {
		t.Fatal(err)
	}
	cmd := Command("Flow'; echo pwned; '")
	if cmd[0] != "sh" || cmd[4] != "Ref::code_url" {
		t.Fatalf("command: %q", cmd)
	}
	c := exec.Command(sh, "-c", cmd[2], cmd[3], "file://"+pkg)
	c.Env = []string{"TMPDIR=" + dir, "STEPFLOW_STEP=train", "PATH=/usr/bin:/bin"}
	out, err := c.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ran step train" {
		t.Fatalf("bootstrap: %v: %q", err, out)
	}
	c = exec.Command(sh, "-c", cmd[2], cmd[3], "ftp://x")
	c.Env = []string{"TMPDIR=" + dir, "STEPFLOW_STEP=train"}
	if out, err := c.CombinedOutput(); err == nil || !strings.Contains(string(out), "cannot fetch") {
		t.Errorf("unknown URL scheme: %v %q", err, out)
	}
}

func writeFile(p, s string) error {
	return exec.Command("sh", "-c", `printf '%s' "$1" > "$2" && chmod +x "$2"`, "sh", s, p).Run()
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
func TestBootstrapCachesContentAddressed(t *testing.T) {
	dir := t.TempDir()
	body := "#!/bin/sh\necho \"ran $1 $2\"\n"
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte(body)))
	src := filepath.Join(dir, "code", sum)
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// A fake aws CLI: logs its arguments, copies the file named by the
	// s3 URL's key from dir/code.
	bin := filepath.Join(dir, "bin")
	os.MkdirAll(bin, 0o755)
	fake := "#!/bin/sh\necho \"$@\" >> \"$AWS_LOG\"\nfor a; do dst=$a; done\nkey=$(basename \"$(eval echo \\${$(($#-1))})\")\ncp \"$CODE_DIR/$key\" \"$dst\"\n"
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	os.MkdirAll(tmp, 0o755)
	cmd := Command("Flow")
	run := func(url string, extra ...string) (string, error) {
		c := exec.Command("sh", "-c", cmd[2], cmd[3], url)
		c.Env = append([]string{"TMPDIR=" + tmp, "STEPFLOW_STEP=train", "PATH=" + bin + ":/usr/bin:/bin",
			"AWS_LOG=" + filepath.Join(dir, "aws.log"), "CODE_DIR=" + filepath.Dir(src)}, extra...)
		out, err := c.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	url := "s3://bucket/flows/Flow/code/" + sum
	for i := 0; i < 2; i++ {
		if out, err := run(url, "STEPFLOW_S3_ENDPOINT=http://127.0.0.1:9 x"); err != nil || out != "ran step train" {
			t.Fatalf("run %d: %v %q", i, err, out)
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "aws.log"))
	if got := strings.TrimSpace(string(log)); got != "--endpoint-url http://127.0.0.1:9 x s3 cp --only-show-errors "+url+" "+got[strings.LastIndex(got, " ")+1:] || strings.Count(got, "\n") != 0 {
		t.Errorf("aws calls (want one, with the endpoint):\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(tmp, "stepflow-Flow-"+sum)); err != nil {
		t.Errorf("not cached by content address: %v", err)
	}
	// A package that does not match its address is refused.
	bad := strings.Repeat("0", 64)
	os.WriteFile(filepath.Join(filepath.Dir(src), bad), []byte(body), 0o644)
	if out, err := run("file://" + filepath.Join(filepath.Dir(src), bad)); err == nil || !strings.Contains(out, "has SHA-256 "+sum) {
		t.Errorf("mismatched package: %v %q", err, out)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 1 {
		t.Errorf("TMPDIR holds %d files, want the one cached binary", len(ents))
	}
}
