package ocirun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
)

// Options say what to run.
type Options struct {
	// Image is the image reference: a tag or a digest.
	Image string
	// Cache is the directory of unpacked images and of the runs'
	// writable layers.
	Cache string
	// Insecure allows plain HTTP to any registry (a loopback one is
	// always spoken to over HTTP).
	Insecure bool
	// Command is the job's command: it replaces the image's Cmd.
	Command []string
	// Env is the job's environment (NAME=value): the image's Env fills
	// in the variables it lacks.
	Env []string
	// Stdin, Stdout and Stderr are the process's; nil is /dev/null.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Container is a started container: its process, in its namespaces.
type Container struct {
	cmd *exec.Cmd
	job *jobDir
}

// Start pulls and unpacks the image (see Pull, Unpack), works out its
// process (NewProcess, LookupUser) and starts it in a container (see
// the package documentation). It returns once the process runs; a
// *StartError says why it could not. Canceling ctx kills the container.
func Start(ctx context.Context, o Options) (*Container, error) {
	if os.Getenv(initEnv) != "" {
		return nil, setupError("this process is a container's init: its program must call ocirun.Init first")
	}
	if o.Cache == "" {
		return nil, setupError("no cache directory")
	}
	img, err := Pull(ctx, o.Image, o.Insecure)
	if err != nil {
		return nil, &StartError{Code: ExitSetup, Err: err}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, setupError("image %s: config: %w", o.Image, err)
	}
	proc, err := NewProcess(cf.Config, o.Command, o.Env)
	if err != nil {
		return nil, setupError("image %s: %w", o.Image, err)
	}
	root, _, err := Unpack(img, o.Cache)
	if err != nil {
		return nil, setupError("image %s: %w", o.Image, err)
	}
	sweepJobs(o.Cache)
	job, err := newJobDir(o.Cache)
	if err != nil {
		return nil, setupError("%w", err)
	}
	c, err := start(ctx, o, job, &initSpec{Lower: root, Upper: job.upper, Work: job.work, Target: job.mount, Process: *proc})
	if err != nil {
		job.remove()
		return nil, err
	}
	return c, nil
}

// start runs the namespace side on spec and waits until it has executed
// the process or failed.
func start(ctx context.Context, o Options, job *jobDir, spec *initSpec) (*Container, error) {
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, setupError("%w", err)
	}
	defer specW.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		specR.Close()
		return nil, setupError("%w", err)
	}
	defer statusR.Close()
	cmd := exec.CommandContext(ctx, "/proc/self/exe")
	cmd.Args = []string{initArg0}
	cmd.Env = []string{initEnv + "=1"}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	cmd.ExtraFiles = []*os.File{specR, statusW} // specFD, statusFD
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// A UTS namespace of its own (a copy of the host's: the same
		// hostname) keeps a process running as root from renaming the
		// host; the network is the host's.
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
		// The runner's death kills the process, and so the PID
		// namespace, every process the process started with it. (Go's
		// check that the runner is still alive once this is set cannot
		// see across the PID namespace; the namespace side checks
		// again: dieWithParent.)
		Pdeathsig: syscall.SIGKILL,
	}
	err = cmd.Start()
	specR.Close()
	statusW.Close()
	if err != nil {
		return nil, setupError("start the container: %w", err)
	}
	c := &Container{cmd: cmd, job: job}
	if err := json.NewEncoder(specW).Encode(spec); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, setupError("send the container spec: %w", err)
	}
	specW.Close()
	b, err := io.ReadAll(statusR)
	if err != nil || len(b) == 0 {
		// Closed on exec: the process runs (or died by a signal
		// before, which Wait reports).
		return c, nil
	}
	cmd.Wait()
	var st initStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, setupError("container status %q: %w", b, err)
	}
	return nil, &StartError{Code: st.Code, Err: errors.New(st.Message)}
}

// Signal sends sig to the container's process.
func (c *Container) Signal(sig os.Signal) error {
	if err := c.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal the container: %w", err)
	}
	return nil
}

// Wait waits for the process to exit, removes the run's writable layer
// and returns the exit status: the process's own, or 128+N when signal N
// killed it. As the process is its PID namespace's first, its end ends
// every process it started.
func (c *Container) Wait() (int, error) {
	err := c.cmd.Wait()
	rmErr := c.job.remove()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return -1, fmt.Errorf("wait for the container: %w", err)
	}
	code := c.cmd.ProcessState.ExitCode()
	if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return code, rmErr
}

// Run starts the container of o and waits for its process: the exit
// status, or a *StartError.
func Run(ctx context.Context, o Options) (int, error) {
	c, err := Start(ctx, o)
	if err != nil {
		return -1, err
	}
	return c.Wait()
}
