// Package readlimit reads a file or a stream whole, up to a limit: the one
// rule for every input Stepflow reads into memory from a path or a stream
// the user gives (configs, events, settings files, stack outputs, code
// packages, --input-paths -). A file whose size is known is refused before
// it is read; anything else (a pipe, /dev/zero, a file that grows) is read
// to one byte past the limit and then refused, so no input makes a command
// hold more than the limit.
package readlimit

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// TooLargeError is the error of a read over its limit. Its message names
// what was read and the limit; callers add what to do instead.
type TooLargeError struct {
	Name  string // the path, or a name of the stream
	Size  int64  // the size, when known before reading; else -1
	Limit int64
}

// Error says what is too large and the limit.
func (e *TooLargeError) Error() string {
	if e.Size >= 0 {
		return fmt.Sprintf("%s is %d bytes, more than the %s allowed", e.Name, e.Size, Format(e.Limit))
	}
	return fmt.Sprintf("%s holds more than the %s allowed", e.Name, Format(e.Limit))
}

// Format renders a limit for a message: "10 MiB", "256 KiB", "100 bytes".
func Format(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ErrDirectory is returned by File for a directory.
var ErrDirectory = errors.New("is a directory; give a file")

// File reads the file at path whole if it holds at most limit bytes, else
// returns a *TooLargeError (before reading anything when its size is
// known). A directory is an error wrapping ErrDirectory; a missing file
// wraps fs.ErrNotExist.
func File(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s %w", path, ErrDirectory)
	}
	if fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, &TooLargeError{Name: path, Size: fi.Size(), Limit: limit}
	}
	data, err := All(f, path, limit)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// All reads r to its end if it holds at most limit bytes, else returns a
// *TooLargeError naming name, having read limit+1 bytes at most.
func All(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Name: name, Size: -1, Limit: limit}
	}
	return data, nil
}
