package codepkg

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"path/filepath"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore/local"
)

// TestBuildPublish checks Build's settings (a static, reproducible binary
// for the target: cgo off, -trimpath, the AWS build tag, read from the
// binary's build information) and that Publish uploads a package once. It
// builds testdata/tiny, not a flow: a flow would compile the whole AWS SDK
// once more with these settings, which took most of this test's 81 s on a
// loaded machine, and check nothing more. The end-to-end tests (package
// e2e) run flows published as code packages.
func TestBuildPublish(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(wd, "..", "..", "..")
	ctx := context.Background()
	const tiny = "./internal/aws/codepkg/testdata/tiny"
	p, err := Build(ctx, root, tiny, Target{"linux", "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(p.Binary))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != elf.EM_X86_64 {
		t.Errorf("machine %v, want x86-64", f.Machine)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Error("binary is dynamically linked")
		}
	}
	bi, err := buildinfo.Read(bytes.NewReader(p.Binary))
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	for k, v := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "-tags": "stepflow_aws", "GOOS": "linux", "GOARCH": "amd64"} {
		if settings[k] != v {
			t.Errorf("build setting %s=%q, want %q (all: %v)", k, settings[k], v, bi.Settings)
		}
	}
	again, err := Build(ctx, root, tiny, Target{"linux", "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	if again.SHA256 != p.SHA256 {
		t.Errorf("two builds of the same source differ: %s vs %s", p.SHA256, again.SHA256)
	}
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	up, err := Publish(ctx, b, "HelloFlow", p)
	if err != nil || !up {
		t.Fatalf("first publish: uploaded=%v err=%v", up, err)
	}
	up, err = Publish(ctx, b, "HelloFlow", again)
	if err != nil || up {
		t.Fatalf("second publish of the same binary: uploaded=%v err=%v", up, err)
	}
}

func TestParseArch(t *testing.T) {
	if _, err := ParseArch("sparc"); err == nil {
		t.Error("sparc accepted")
	}
	if tg, err := ParseArch("aarch64"); err != nil || tg.Arch != "arm64" {
		t.Errorf("aarch64: %v %v", tg, err)
	}
}
