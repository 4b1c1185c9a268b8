package flowimage

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/stepflow/stepflow/internal/readlimit"
)

// Binary is the flow program built for one architecture.
type Binary struct {
	Arch Arch
	Data []byte
}

// MainPackage returns the import path of the running program's main
// package, from the build information Go embeds in every binary.
func MainPackage() (string, error) {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Path == "" || strings.HasSuffix(bi.Path, ".test") {
		return "", errors.New("the program has no build information to rebuild it from; build it with go build or go run")
	}
	return bi.Path, nil
}

// Build cross-compiles the main package pkg for linux/arch as a static,
// reproducible binary of the AWS build (CGO_ENABLED=0, -trimpath, no build
// id, tag stepflow_aws), with dir as the working directory (inside the
// flow's module; "" is the current directory).
func Build(ctx context.Context, dir, pkg string, arch Arch) (*Binary, error) {
	tmp, err := os.MkdirTemp("", "stepflow-flowimage")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "flow")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "stepflow_aws", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+string(arch), "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cross-compile %s for linux/%s: %v\n%s", pkg, arch, err, strings.TrimSpace(stderr.String()))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	return &Binary{Arch: arch, Data: data}, nil
}

// MaxBinary is the largest prebuilt flow binary ReadBinary reads (into
// memory, to put it in a layer): ten times a large Go binary.
const MaxBinary = 1 << 30

// ReadBinary reads a prebuilt flow binary and tells its architecture from
// its ELF header. A file that is not a static linux executable for amd64
// or arm64 is refused: the image could not run it.
func ReadBinary(path string) (*Binary, error) {
	data, err := readlimit.File(path, MaxBinary)
	if err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s is not a linux executable (%v); build it with GOOS=linux CGO_ENABLED=0", path, err)
	}
	defer f.Close()
	var arch Arch
	switch f.Machine {
	case elf.EM_X86_64:
		arch = AMD64
	case elf.EM_AARCH64:
		arch = ARM64
	default:
		return nil, fmt.Errorf("%s is built for %s; AWS Batch runs amd64 (x86_64) and arm64 (aarch64)", path, f.Machine)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return nil, fmt.Errorf("%s is not an executable (ELF type %s)", path, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return nil, fmt.Errorf("%s is dynamically linked; an image on an empty base needs a static binary: build it with CGO_ENABLED=0", path)
		}
	}
	return &Binary{Arch: arch, Data: data}, nil
}
