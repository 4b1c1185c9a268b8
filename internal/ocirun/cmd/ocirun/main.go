// Command ocirun runs one process from an OCI image as AWS Batch's
// container runtime does, without Docker: the emulated AWS Batch of the
// end-to-end tests.
//
//	ocirun --image REF --cache DIR [--insecure] -- ARGS...
//
// REF is a tag or a digest; ARGS are the job's command (possibly none),
// which replace the image's Cmd, never its Entrypoint. The job's
// environment is exactly ocirun's own: it is passed on, and the image's
// Env fills in the variables it lacks. DIR keeps unpacked images (once
// per digest) and each run's writable layer while it runs. --insecure
// allows plain HTTP to any registry (a loopback one always gets it).
//
// The process's output passes through, and its exit status is ocirun's
// (128+N when signal N killed it). SIGTERM, SIGINT, SIGHUP, SIGQUIT,
// SIGUSR1 and SIGUSR2 are passed on to it; when ocirun dies, however, the
// container dies with it. When the container could not be started,
// ocirun prints one line, "ocirun: " and why, and exits 125 (setup:
// usage, pull, platform, unpack, mounts, user), 126 (the command could
// not be executed) or 127 (the command was not found), as docker run
// does; see package internal/ocirun.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/stepflow/stepflow/internal/ocirun"
)

const usage = "usage: ocirun --image REF --cache DIR [--insecure] -- ARGS..."

func main() {
	ocirun.Init()
	os.Exit(run(os.Args[1:]))
}

// run is ocirun with args, and returns its exit code.
func run(args []string) int {
	fs := flag.NewFlagSet("ocirun", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	image := fs.String("image", "", "image reference")
	cache := fs.String("cache", "", "cache directory")
	insecure := fs.Bool("insecure", false, "allow plain HTTP to any registry")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Println(usage)
			return 0
		}
		return fail(ocirun.ExitSetup, fmt.Errorf("%v (%s)", err, usage))
	}
	switch {
	case *image == "":
		return fail(ocirun.ExitSetup, fmt.Errorf("--image is required (%s)", usage))
	case *cache == "":
		return fail(ocirun.ExitSetup, fmt.Errorf("--cache is required (%s)", usage))
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	c, err := ocirun.Start(context.Background(), ocirun.Options{
		Image: *image, Cache: *cache, Insecure: *insecure,
		Command: fs.Args(), Env: os.Environ(),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	})
	if err != nil {
		var se *ocirun.StartError
		if errors.As(err, &se) {
			return fail(se.Code, err)
		}
		return fail(ocirun.ExitSetup, err)
	}
	go func() {
		for s := range sigs {
			c.Signal(s)
		}
	}()
	code, err := c.Wait()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ocirun: %s\n", oneLine(err))
		if code < 0 {
			return ocirun.ExitSetup
		}
	}
	return code
}

// fail prints err on one line and returns code.
func fail(code int, err error) int {
	fmt.Fprintf(os.Stderr, "ocirun: %s\n", oneLine(err))
	return code
}

// oneLine is err's message with its line breaks turned into spaces.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
