//go:build unix

package datastore

import (
	"errors"
	"syscall"
)

// processExists reports whether a process with the pid exists on this
// host (signal 0 checks without signalling; EPERM means it exists but
// belongs to another user).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
