package local

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpenFile: openFile's files are close-on-exec and blocking (not in
// the runtime's poller), and its errors are os.OpenFile's.
func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	f, err := openFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fdFlags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFD, 0)
	if errno != 0 || fdFlags&syscall.FD_CLOEXEC == 0 {
		t.Errorf("F_GETFD = %#x, %v; want FD_CLOEXEC set", fdFlags, errno)
	}
	flFlags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFL, 0)
	if errno != 0 || flFlags&syscall.O_NONBLOCK != 0 {
		t.Errorf("F_GETFL = %#x, %v; want a blocking file", flFlags, errno)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o600 != 0o600 {
		t.Errorf("created file mode %v, %v", fi.Mode(), err)
	}
	if _, err := openFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); !errors.Is(err, fs.ErrExist) {
		t.Errorf("openFile(existing, O_EXCL) = %v, want ErrExist", err)
	}
	var pe *os.PathError
	if _, err := openFile(filepath.Join(dir, "missing"), os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
		t.Errorf("openFile(missing) = %v, want a *os.PathError wrapping ErrNotExist", err)
	}
}
