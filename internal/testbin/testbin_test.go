package testbin_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/testbin"
)

const hello = "github.com/stepflow/stepflow/internal/testbin/testdata/hello"

func TestBuildCaches(t *testing.T) {
	t.Setenv("STEPFLOW_TESTBIN_CACHE", t.TempDir())
	bins := testbin.MustBuild(t, testbin.Options{Flags: []string{"-ldflags=-X main.unused=1"}}, "./internal/testbin/testdata/hello")
	bin := bins[hello]
	if bin == "" || !strings.HasPrefix(bin, os.Getenv("STEPFLOW_TESTBIN_CACHE")) {
		t.Fatalf("bins %v", bins)
	}
	out, err := exec.Command(bin).Output()
	if err != nil || string(out) != "hello from testbin\n" {
		t.Fatalf("%s: %q %v", bin, out, err)
	}
	info, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	// The same binary again (by import path: another key for the
	// in-process memo) comes from the disk cache, not from a new build.
	again := testbin.MustBuild(t, testbin.Options{Flags: []string{"-ldflags=-X main.unused=1"}}, hello)[hello]
	if again != bin {
		t.Errorf("rebuilt: %s, then %s", bin, again)
	}
	if info2, err := os.Stat(again); err != nil || !info2.ModTime().Equal(info.ModTime()) {
		t.Errorf("the binary was rewritten: %v", err)
	}
	// Other flags, another binary.
	other := testbin.MustBuild(t, testbin.Options{Flags: []string{"-ldflags=-X main.unused=2"}}, hello)[hello]
	if other == bin {
		t.Errorf("different flags share a binary: %s", bin)
	}
}
