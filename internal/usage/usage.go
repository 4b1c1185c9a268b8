// Package usage holds the one error type for bad input: a mistake the user
// makes and fixes (a flow definition, a flag, a parameter, a setting, a
// pathspec). Commands exit with status 2 on it and print its message, which
// names the thing, the problem and the fix.
//
// Packages at every layer return it (the linter, the compiler, the task
// contract, deploy), so that a command needs no table of error types to
// choose an exit code.
package usage

import (
	"errors"
	"fmt"
)

// Error is bad input from the user. Its message says what is wrong and how
// to fix it.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a formatted message; %w wraps as in
// fmt.Errorf.
func Errorf(format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...)}
}

// Wrap marks err as bad input. It returns nil for nil, and err itself when
// it already is bad input.
func Wrap(err error) error {
	if err == nil || Is(err) {
		return err
	}
	return &Error{Err: err}
}

// Is reports whether err is, or wraps, bad input.
func Is(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
