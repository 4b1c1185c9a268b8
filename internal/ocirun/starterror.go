package ocirun

import "fmt"

// The exit codes of a container that could not be started, as docker run
// uses them (see the package documentation).
const (
	ExitSetup        = 125
	ExitCannotInvoke = 126
	ExitNotFound     = 127
)

// StartError says why a container could not be started; Code is the exit
// code that reports it (ExitSetup, ExitCannotInvoke or ExitNotFound).
type StartError struct {
	Code int
	Err  error
}

func (e *StartError) Error() string { return e.Err.Error() }

func (e *StartError) Unwrap() error { return e.Err }

// setupError is a StartError with code ExitSetup.
func setupError(format string, args ...any) *StartError {
	return &StartError{Code: ExitSetup, Err: fmt.Errorf(format, args...)}
}
