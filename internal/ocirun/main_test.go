package ocirun

import (
	"fmt"
	"os"
	"testing"

	"github.com/stepflow/stepflow/internal/testbin"
	"github.com/stepflow/stepflow/internal/testproc"
)

// The binaries the tests run, built by TestMain:
// probeBin, the static program the test images hold (testdata/probe), and
// ocirunBin, the command (cmd/ocirun).
var probeBin, ocirunBin string

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "internal/ocirun: the tests need root (mount namespaces, overlayfs, files of other owners); run them as root, as CI does")
		os.Exit(1)
	}
	// Static, built once and cached across test runs (testbin).
	bins, err := testbin.Build(testbin.Options{Env: []string{"CGO_ENABLED=0"}}, "./internal/ocirun/testdata/probe", "./internal/ocirun/cmd/ocirun")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	probeBin = bins["github.com/stepflow/stepflow/internal/ocirun/testdata/probe"]
	ocirunBin = bins["github.com/stepflow/stepflow/internal/ocirun/cmd/ocirun"]
	os.Exit(m.Run())
}
