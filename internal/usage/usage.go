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
	"strings"
	"unicode/utf8"
)

// Error is bad input from the user. Its message says what is wrong and how
// to fix it.
type Error struct{ Err error }

// Error returns the message, with the middle of every word longer than
// maxWord bytes elided: a message quoting a megabyte of bad input stays
// one readable line.
func (e *Error) Error() string { return shorten(e.Err.Error()) }

const maxWord = 160

func shorten(msg string) string {
	if len(msg) <= maxWord {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(msg); {
		j := i
		for j < len(msg) && msg[j] != ' ' && msg[j] != '\n' {
			j++
		}
		word := msg[i:j]
		if len(word) > maxWord {
			head, tail := cut(word, 60), word[len(cut(word, len(word)-30)):]
			fmt.Fprintf(&b, "%s…(%d bytes)…%s", head, len(word), tail)
		} else {
			b.WriteString(word)
		}
		if j < len(msg) {
			b.WriteByte(msg[j])
		}
		i = j + 1
	}
	return b.String()
}

// cut returns the longest prefix of s of at most n bytes that ends on a
// rune boundary.
func cut(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
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
