package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"syscall"
)

// AWSBuildTag is the build tag of the AWS build of a flow binary.
const AWSBuildTag = "stepflow_aws"

// errNeedAWS says a command needs the AWS build of the flow binary. Run
// answers it by building that variant (once; it is cached) and running
// the same command line in it.
var errNeedAWS = errors.New("this command needs the AWS build of the flow binary")

// reexecAWS replaces the process with the AWS build of this flow binary,
// running the same arguments. It returns only on failure.
func reexecAWS(ctx context.Context, env *Env, args []string) error {
	if awsBuild {
		return errors.New("internal error: the AWS build asked for itself")
	}
	exe, err := awsBinary(ctx, env)
	if err != nil {
		return err
	}
	argv := append([]string{os.Args[0]}, args...) // keep the program name in messages
	return fmt.Errorf("run the AWS build %s: %w", exe, syscall.Exec(exe, argv, os.Environ()))
}

// awsBinary returns the AWS build of the running flow binary, building it
// with the go command from the flow's main package when the cache does not
// hold it. The cache key is the running binary's content, so a rebuilt
// flow gets a rebuilt AWS variant.
func awsBinary(ctx context.Context, env *Env) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(self)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", err
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	out := filepath.Join(dir, "stepflow", "aws-"+hex.EncodeToString(h.Sum(nil))[:24])
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Path == "" || bi.Path == "command-line-arguments" {
		return "", Usagef("this command needs the flow built with AWS support, and this binary does not say which package it was built from; build it with: go build -tags %s ./path/to/flow", AWSBuildTag)
	}
	if _, err := exec.LookPath("go"); err != nil {
		return "", Usagef("this command needs the flow built with AWS support, and the go command is not installed to build it; build the flow elsewhere with: go build -tags %s %s", AWSBuildTag, bi.Path)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(env.Stderr, "%s: building the AWS variant of %s (once; cached in %s)\n", env.Args0, bi.Path, filepath.Dir(out))
	tmp := out + fmt.Sprintf(".tmp%d", os.Getpid())
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", AWSBuildTag, "-o", tmp, bi.Path)
	if env.SourceDir != "" {
		cmd.Dir = env.SourceDir
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", Usagef("build the AWS variant of %s (go build -tags %s, run from the flow's module): %v\n%s", bi.Path, AWSBuildTag, err, stderr.String())
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}
