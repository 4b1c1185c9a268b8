package ocirun

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// lookPath finds the executable of a process, inside its container and as
// its user, as a container runtime does before it executes it: a name
// with a slash is taken as it is (relative to the working directory),
// another is searched for in the directories of pathEnv, the container's
// PATH. The error is an *exec.Error, as Docker reports it:
//
//	exec: "aws": executable file not found in $PATH
func lookPath(file, pathEnv string) (string, error) {
	if strings.Contains(file, "/") {
		if err := executable(file); err != nil {
			return "", &exec.Error{Name: file, Err: err}
		}
		return file, nil
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		if !strings.Contains(p, "/") {
			p = "./" + p
		}
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
}

// executable says why p is not a file this process may execute.
func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	if err := unix.Access(p, unix.X_OK); err != nil {
		return fs.ErrPermission
	}
	return nil
}

// execCode is the exit code that reports err, an error of lookPath or of
// executing: ExitNotFound when the executable (or its interpreter) does
// not exist, ExitCannotInvoke otherwise.
func execCode(err error) int {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return ExitNotFound
	}
	return ExitCannotInvoke
}
