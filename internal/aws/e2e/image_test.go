package e2e_test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stepflow/stepflow/internal/testbin"
)

// TestAWSCLIEntrypoint deploys HelloFlow with the image the README once
// recommended: one whose ENTRYPOINT is the aws CLI. AWS Batch replaces only
// the image's CMD with the job's command, so every job runs `aws step` and
// fails with the CLI's usage error (exit 252). The emulated Batch must fail
// the same way: it runs images, not commands on the host.
func TestAWSCLIEntrypoint(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	hello := w.build(t, module+"/examples/hello")
	bins, err := testbin.Build(testbin.Options{Env: []string{"CGO_ENABLED=0"}}, module+"/internal/aws/e2e/testdata/fakeaws")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(bins[module+"/internal/aws/e2e/testdata/fakeaws"])
	if err != nil {
		t.Fatal(err)
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	for _, d := range []string{"usr/", "usr/local/", "usr/local/bin/"} {
		tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755})
	}
	tw.WriteHeader(&tar.Header{Name: "usr/local/bin/aws", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))})
	tw.Write(bin)
	tw.Close()
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), static.NewLayer(layer.Bytes(), types.OCIUncompressedLayer))
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Entrypoint = []string{"/usr/local/bin/aws"}
	cf.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(w.registry + "/aws-cli/aws-cli:2.22.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	awsImage := tag.Context().Digest(d.String()).String()

	c := w.compile(t, &flowPkg{flow: hello.flow, bin: hello.bin, image: awsImage})
	e := w.execute(t, c, map[string]any{}, execOpts{})
	if e.Status != "FAILED" || len(e.Jobs) != 1 {
		t.Fatalf("execution %s with %d jobs, want FAILED at the first job", e.Status, len(e.Jobs))
	}
	j := e.Jobs[0]
	if j.ExitCode == nil || *j.ExitCode != 252 || !strings.Contains(j.Tail, `Invalid choice`) || !strings.Contains(j.Tail, `"step"`) {
		t.Errorf("job %s: exit %v, output %q; want the aws CLI's usage error for the command step (252)", j.Step, j.ExitCode, j.Tail)
	}
	var cause struct {
		Container struct {
			Command []string
			Image   string
		}
	}
	if err := json.Unmarshal([]byte(e.Cause), &cause); err != nil || strings.Join(cause.Container.Command, " ") != "step" || cause.Container.Image != awsImage {
		t.Errorf("DescribeJobs container %+v (%v): want command [step] run in %s", cause.Container, err, awsImage)
	}
}
