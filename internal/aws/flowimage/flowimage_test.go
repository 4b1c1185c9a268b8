package flowimage

import (
	"archive/tar"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stepflow/stepflow/internal/aws/motoproc"
	"github.com/stepflow/stepflow/internal/testbin"
	"github.com/stepflow/stepflow/internal/testproc"
)

// startRegistry serves a real OCI distribution registry on loopback and
// returns its host:port.
func startRegistry(t testing.TB) string {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func fakeBinary(arch Arch, body string) *Binary {
	return &Binary{Arch: arch, Data: []byte("\x7fELF-" + string(arch) + "-" + body)}
}

// files lists the flattened file system of img: path -> mode, and the
// binary's bytes.
func files(t *testing.T, img v1.Image) (map[string]int64, []byte) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	out := map[string]int64{}
	var bin []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h.Mode
		if "/"+h.Name == Entrypoint {
			bin, _ = io.ReadAll(tr)
		}
	}
	return out, bin
}

func TestAssembleEmptyBase(t *testing.T) {
	b := fakeBinary(AMD64, "one")
	im, err := Assemble("HelloFlow", []*Binary{b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Assemble("HelloFlow", []*Binary{fakeBinary(AMD64, "one")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if im.Digest != again.Digest {
		t.Errorf("the same binary gave two digests: %s and %s", im.Digest, again.Digest)
	}
	other, err := Assemble("HelloFlow", []*Binary{fakeBinary(AMD64, "two")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if other.Digest == im.Digest {
		t.Error("another binary gave the same digest")
	}
	img, err := im.Image(AMD64)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Config.Entrypoint; len(got) != 1 || got[0] != Entrypoint {
		t.Errorf("Entrypoint = %q, want [%s]", got, Entrypoint)
	}
	if cf.Config.Cmd != nil || cf.OS != "linux" || cf.Architecture != "amd64" || cf.Config.Labels[FlowLabel] != "HelloFlow" {
		t.Errorf("config: cmd %q, platform %s/%s, labels %v", cf.Config.Cmd, cf.OS, cf.Architecture, cf.Config.Labels)
	}
	fs, bin := files(t, img)
	if string(bin) != string(b.Data) || fs[Entrypoint[1:]] != 0o755 {
		t.Errorf("binary: %q mode %o", bin, fs[Entrypoint[1:]])
	}
	if fs["tmp/"]&0o1777 != 0o1777 && fs["tmp"]&0o1777 != 0o1777 {
		t.Errorf("no /tmp with mode 1777: %v", fs)
	}
	if len(fs) != 7 {
		t.Errorf("the empty base image holds more than the binary, /tmp and the CA roots: %v", fs)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caRoots()) || len(caRoots()) < 100_000 {
		t.Errorf("the CA roots (%d bytes) do not parse as a PEM bundle", len(caRoots()))
	}
	if _, ok := fs[CAFile[1:]]; !ok {
		t.Errorf("no %s in the image: %v", CAFile, fs)
	}
	mt, _ := img.MediaType()
	if mt != types.OCIManifestSchema1 {
		t.Errorf("media type %s, want OCI", mt)
	}
}

func TestPushOnce(t *testing.T) {
	reg := startRegistry(t)
	ctx := context.Background()
	repo := reg + "/flows/hello"
	im, err := Assemble("HelloFlow", []*Binary{fakeBinary(AMD64, "one")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, pushed, err := Push(ctx, repo, im)
	if err != nil || !pushed {
		t.Fatalf("first push: %v, pushed %v", err, pushed)
	}
	if ref != repo+"@"+im.Digest.String() {
		t.Errorf("ref %s, want %s@%s", ref, repo, im.Digest)
	}
	if _, pushed, err = Push(ctx, repo, im); err != nil || pushed {
		t.Errorf("second push of the same image: %v, pushed %v (want nothing written)", err, pushed)
	}
	// Pulled back by digest: the same bytes, as a runtime sees them.
	d, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, bin := files(t, img); string(bin) != string(fakeBinary(AMD64, "one").Data) {
		t.Errorf("pulled binary %q", bin)
	}
}

func TestMultiArchIndex(t *testing.T) {
	reg := startRegistry(t)
	im, err := Assemble("HelloFlow", []*Binary{fakeBinary(AMD64, "x"), fakeBinary(ARM64, "x")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, _, err := Push(context.Background(), reg+"/flows/multi", im)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []Arch{AMD64, ARM64} {
		d, _ := name.NewDigest(ref)
		img, err := remote.Image(d, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: string(a)}))
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		cf, _ := img.ConfigFile()
		if _, bin := files(t, img); cf.Architecture != string(a) || string(bin) != string(fakeBinary(a, "x").Data) {
			t.Errorf("%s: got the %s image with %q", a, cf.Architecture, bin)
		}
	}
}

// pushBase pushes a base image for arch with a file, an environment, a
// working directory and a user of its own.
func pushBase(t *testing.T, repo string, arch Arch) string {
	t.Helper()
	layer := static.NewLayer(tarOf(t, map[string]string{"usr/bin/python3": "#!python"}), types.OCIUncompressedLayer)
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", string(arch)
	cf.Config.Env = []string{"PATH=/usr/bin", "PYTHONUNBUFFERED=1"}
	cf.Config.WorkingDir, cf.Config.User = "/work", "1000"
	cf.Config.Entrypoint, cf.Config.Cmd = []string{"/usr/bin/python3"}, []string{"-V"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(repo + ":3.12")
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	return tag.String()
}

func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b strings.Builder
	tw := tar.NewWriter(&b)
	for p, c := range files {
		tw.WriteHeader(&tar.Header{Name: p, Mode: 0o755, Size: int64(len(c)), Typeflag: tar.TypeReg})
		tw.Write([]byte(c))
	}
	tw.Close()
	return []byte(b.String())
}

func TestBaseImage(t *testing.T) {
	reg := startRegistry(t)
	ctx := context.Background()
	baseRef := pushBase(t, reg+"/library/python", AMD64)
	base, err := ResolveBase(ctx, baseRef, []Arch{AMD64})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base.Pinned, reg+"/library/python@sha256:") {
		t.Errorf("base pinned as %s, want by digest", base.Pinned)
	}
	im, err := Assemble("PyFlow", []*Binary{fakeBinary(AMD64, "p")}, base)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := im.Image(AMD64)
	cf, _ := img.ConfigFile()
	if cf.Config.Entrypoint[0] != Entrypoint || cf.Config.Cmd != nil {
		t.Errorf("entrypoint %q cmd %q: the flow binary must replace the base's", cf.Config.Entrypoint, cf.Config.Cmd)
	}
	if cf.Config.WorkingDir != "/work" || cf.Config.User != "1000" || strings.Join(cf.Config.Env, " ") != "PATH=/usr/bin PYTHONUNBUFFERED=1" {
		t.Errorf("the base's env, working dir and user are not kept: %+v", cf.Config)
	}
	fs, _ := files(t, img)
	if _, ok := fs["usr/bin/python3"]; !ok {
		t.Errorf("the base's files are missing: %v", fs)
	}

	// A base without the queue's architecture is refused, naming both.
	_, err = ResolveBase(ctx, baseRef, []Arch{AMD64, ARM64})
	if err == nil || !strings.Contains(err.Error(), "no linux/arm64") || !strings.Contains(err.Error(), "amd64 and arm64") {
		t.Errorf("base without arm64: %v", err)
	}
}

// TestReadBinary builds a tiny program for each architecture and reads its
// architecture back; other files are refused.
func TestReadBinary(t *testing.T) {
	for _, a := range []Arch{AMD64, ARM64} {
		bins := testbin.MustBuild(t, testbin.Options{GOOS: "linux", GOARCH: string(a), Env: []string{"CGO_ENABLED=0", "GOFLAGS="}}, "./internal/testbin/testdata/hello")
		b, err := ReadBinary(bins["github.com/stepflow/stepflow/internal/testbin/testdata/hello"])
		if err != nil || b.Arch != a {
			t.Errorf("%s: %v, arch %v", a, err, b)
		}
	}
	src := filepath.Join(t.TempDir(), "main.go")
	os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644)
	if _, err := ReadBinary(src); err == nil || !strings.Contains(err.Error(), "not a linux executable") {
		t.Errorf("a Go source file: %v", err)
	}
	if runtime.GOOS == "linux" {
		if _, err := ReadBinary("/bin/sh"); err == nil || !strings.Contains(err.Error(), "dynamically linked") {
			t.Errorf("/bin/sh: %v", err)
		}
	}
}

// TestECRKeychain logs in to an ECR registry through moto's
// GetAuthorizationToken, and leaves other registries to Docker's keychain.
func TestECRKeychain(t *testing.T) {
	testproc.SkipShort(t, "needs moto_server")
	srv, err := motoproc.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "secret", "")))
	if err != nil {
		t.Fatal(err)
	}
	var regions []string
	k := NewKeychain(ctx, func(region string) (ECRAPI, error) {
		regions = append(regions, region)
		return ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Region = region; o.BaseEndpoint = aws.String(srv.URL) }), nil
	})
	repo, _ := name.NewRepository("123456789012.dkr.ecr.eu-west-3.amazonaws.com/stepflow")
	a, err := k.Resolve(repo)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Authorization()
	if err != nil || c.Username != "AWS" || c.Password == "" {
		t.Errorf("ECR credentials: %+v, %v", c, err)
	}
	if _, err := k.Resolve(repo); err != nil || len(regions) != 1 || regions[0] != "eu-west-3" {
		t.Errorf("second resolve: %v; ECR clients made for %v (want one, eu-west-3)", err, regions)
	}
	other, _ := name.NewRepository("127.0.0.1:5000/flows")
	if a, err := k.Resolve(other); err != nil || a != authn.Anonymous {
		t.Errorf("a registry that is not ECR: %v %v, want Docker's keychain (anonymous here)", a, err)
	}
}
