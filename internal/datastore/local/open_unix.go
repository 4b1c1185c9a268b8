//go:build unix

package local

import (
	"os"
	"syscall"
)

// openFile is os.OpenFile for the files of the store, which are regular
// files and directories: it opens with open(2) and wraps the descriptor
// with os.NewFile, which leaves it out of the runtime's poller. os.OpenFile
// on Linux offers every file to the poller, which regular files refuse:
// four fcntl(2) calls and a failed epoll_ctl(2) per file, and the poller
// set up on the first; a task opens seven files or more.
func openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, flag|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
