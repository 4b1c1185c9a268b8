//go:build unix

package local

import (
	"os"
	"syscall"
)

// renameFile renames the temporary file tmp to p, replacing any file at
// p: rename(2) alone. os.Rename first stats p to refuse replacing a
// directory, which rename(2) of a file refuses by itself (EISDIR): one
// system call per object saved.
func renameFile(tmp, p string) error {
	for {
		err := syscall.Rename(tmp, p)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: tmp, New: p, Err: err}
		}
		return nil
	}
}
