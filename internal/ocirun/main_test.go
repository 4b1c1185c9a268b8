package ocirun

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The binaries the tests run, built once per test binary by TestMain:
// probeBin, the static program the test images hold (testdata/probe), and
// ocirunBin, the command (cmd/ocirun).
var probeBin, ocirunBin string

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "internal/ocirun: the tests need root (mount namespaces, overlayfs, files of other owners); run them as root, as CI does")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "ocirun-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if err := buildBinaries(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinaries builds the probe and the command into dir, static.
func buildBinaries(dir string) error {
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./testdata/probe", "./cmd/ocirun")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the test binaries: %v\n%s", err, out)
	}
	probeBin, ocirunBin = filepath.Join(dir, "probe"), filepath.Join(dir, "ocirun")
	return nil
}
