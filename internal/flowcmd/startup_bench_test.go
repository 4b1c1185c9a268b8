package flowcmd_test

import (
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var awsHello struct {
	once sync.Once
	path string
	err  error
}

// BenchmarkStart measures what every local task pays before its step runs:
// starting a flow binary that builds, lints and dispatches its definition
// (`hello check`). The AWS build links the AWS SDK (package stepflow under
// -tags stepflow_aws); the gap is why plain builds leave it out.
//
//	go test -run XXX -bench Start -benchtime 300x ./internal/flowcmd/
func BenchmarkStart(b *testing.B) {
	awsHello.once.Do(func() {
		awsHello.path = filepath.Join(binDir, "hello-aws")
		cmd := exec.Command("go", "build", "-tags", "stepflow_aws", "-o", awsHello.path, "./examples/hello")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			awsHello.err = err
			b.Logf("%s", out)
		}
	})
	if awsHello.err != nil {
		b.Fatal(awsHello.err)
	}
	for _, bin := range []struct{ name, path string }{
		{"plain", filepath.Join(binDir, "hello")},
		{"aws", awsHello.path},
	} {
		b.Run(bin.name, func(b *testing.B) {
			for b.Loop() {
				if out, err := exec.Command(bin.path, "check").CombinedOutput(); err != nil {
					b.Fatalf("%s check: %v\n%s", bin.name, err, out)
				}
			}
		})
	}
}
