// Package codepkg builds and publishes a flow's code package: the flow's own
// program, cross-compiled to a static binary for the machines AWS Batch runs
// it on, stored content-addressed next to the datastore so an unchanged
// binary is never uploaded twice.
package codepkg

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/stepflow/stepflow/internal/datastore"
)

// Target is the platform the code package runs on.
type Target struct {
	OS   string // "linux"
	Arch string // "amd64" or "arm64"
}

// DefaultTarget is what AWS Batch runs unless told otherwise.
var DefaultTarget = Target{OS: "linux", Arch: "amd64"}

// ParseArch returns the linux target for an architecture name.
func ParseArch(arch string) (Target, error) {
	switch arch {
	case "amd64", "x86_64":
		return Target{"linux", "amd64"}, nil
	case "arm64", "aarch64":
		return Target{"linux", "arm64"}, nil
	}
	return Target{}, fmt.Errorf("architecture %q is not supported; use amd64 or arm64", arch)
}

// Package is a built code package.
type Package struct {
	Binary []byte
	SHA256 string // hex digest of Binary
	Target Target
}

// Key is where the package lives under the datastore root:
// <flow>/code/<sha256>.
func (p *Package) Key(flow string) string { return flow + "/code/" + p.SHA256 }

// MainPackage returns the import path of the running program's main
// package and the directory of its module, from the build information Go
// embeds in every binary.
func MainPackage() (string, error) {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Path == "" || strings.HasSuffix(bi.Path, ".test") {
		return "", errors.New("the program has no build information to rebuild it from; build it with go build or go run")
	}
	return bi.Path, nil
}

// Build cross-compiles the main package pkg for t as a static, reproducible
// binary (CGO_ENABLED=0, -trimpath, no build id), with dir as the working
// directory (inside the flow's module).
func Build(ctx context.Context, dir, pkg string, t Target) (*Package, error) {
	tmp, err := os.MkdirTemp("", "stepflow-codepkg")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "flow")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "stepflow_aws", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.OS, "GOARCH="+t.Arch, "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cross-compile %s for %s/%s: %v\n%s", pkg, t.OS, t.Arch, err, strings.TrimSpace(stderr.String()))
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(bin)
	return &Package{Binary: bin, SHA256: hex.EncodeToString(sum[:]), Target: t}, nil
}

// Publish stores the package under its key unless an object is already
// there, and reports whether it uploaded.
func Publish(ctx context.Context, b datastore.Backend, flow string, p *Package) (bool, error) {
	key := p.Key(flow)
	if size, err := b.Stat(ctx, key); err == nil && size == int64(len(p.Binary)) {
		return false, nil
	} else if err != nil && !errors.Is(err, datastore.ErrNotFound) {
		return false, fmt.Errorf("check code package %s: %w", key, err)
	}
	if err := b.Save(ctx, key, bytes.NewReader(p.Binary)); err != nil {
		return false, fmt.Errorf("upload code package %s: %w", key, err)
	}
	return true, nil
}

// FromBinary makes a package of a prebuilt binary for t (step-functions
// create --code-package FILE).
func FromBinary(bin []byte, t Target) *Package {
	sum := sha256.Sum256(bin)
	return &Package{Binary: bin, SHA256: hex.EncodeToString(sum[:]), Target: t}
}
