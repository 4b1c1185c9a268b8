package sfncmd

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/flowimage"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/flowcmd"
	"github.com/stepflow/stepflow/internal/testbin"
)

// TestPushImagesPerBase: a flow whose step names a base image of its own
// gets two images, the flow's on the empty base and the step's on its
// base (whose files, environment and user it keeps); a second push writes
// nothing.
func TestPushImagesPerBase(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	reg := strings.TrimPrefix(srv.URL, "http://")

	// The base: a python3 "binary", an environment and a user.
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	tw.WriteHeader(&tar.Header{Name: "usr/bin/python3", Typeflag: tar.TypeReg, Mode: 0o755, Size: 2})
	tw.Write([]byte("py"))
	tw.Close()
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), static.NewLayer(layer.Bytes(), types.OCIUncompressedLayer))
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Env, cf.Config.User = []string{"PATH=/usr/bin", "LANG=C.UTF-8"}, "1000"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	base := reg + "/library/python:3.12"
	tag, _ := name.NewTag(base)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}

	// A static linux binary standing for the flow's AWS build.
	bins := testbin.MustBuild(t, testbin.Options{GOOS: "linux", Env: []string{"CGO_ENABLED=0", "GOFLAGS="}}, "./internal/testbin/testdata/hello")
	bin := bins["github.com/stepflow/stepflow/internal/testbin/testdata/hello"]

	f := &flowcmd.Flow{Def: &flow.Flow{Name: "BaseFlow", Steps: []*flow.Step{
		{Name: "start", Options: flow.Options{Batch: flow.Batch{Image: base}}},
		{Name: "end"},
	}}}
	s := statemachine.Settings{ImageRepository: reg + "/flows"}
	o := imageOptions{binary: bin}
	var out bytes.Buffer
	env := &command.Env{Stdout: &out, Stderr: io.Discard, Args0: "baseflow"}
	image, steps, err := pushImages(context.Background(), env, f, s, o, deploy.QueueArchs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stepImage := steps[base]
	if !strings.HasPrefix(image, reg+"/flows@sha256:") || !strings.HasPrefix(stepImage, reg+"/flows@sha256:") || image == stepImage {
		t.Fatalf("images %q and %v: want two, by digest", image, steps)
	}
	if n := strings.Count(out.String(), ": pushed ("); n != 2 || !strings.Contains(out.String(), "on base "+reg+"/library/python@sha256:") {
		t.Errorf("output:\n%s", out.String())
	}
	d, _ := name.NewDigest(stepImage)
	pulled, err := remote.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	pcf, _ := pulled.ConfigFile()
	if pcf.Config.User != "1000" || strings.Join(pcf.Config.Env, " ") != "PATH=/usr/bin LANG=C.UTF-8" || pcf.Config.Entrypoint[0] != flowimage.Entrypoint {
		t.Errorf("the step's image config: %+v", pcf.Config)
	}
	var files []string
	tr := tar.NewReader(mutate.Extract(pulled))
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		files = append(files, h.Name)
	}
	if got := strings.Join(files, " "); !strings.Contains(got, "usr/bin/python3") || !strings.Contains(got, "stepflow/flow") {
		t.Errorf("the step's image holds %s; want the base's files and the flow binary", got)
	}

	out.Reset()
	if _, _, err := pushImages(context.Background(), env, f, s, o, deploy.QueueArchs{}, nil); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), ": unchanged ("); n != 2 {
		t.Errorf("second push:\n%s", out.String())
	}
}
