package ocirun

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// enterRoot makes the container's root filesystem the process's root, in
// the process's own mount namespace (Start made it): an overlay of the
// image's cached root (read-only below) and the run's upper directory
// (every write of the run), with what Docker mounts in a container:
//
//   - /proc, a new proc of the container's PID namespace (os.Executable
//     reads /proc/self/exe);
//   - /dev, a small tmpfs with null, zero, full, random, urandom and tty,
//     the fd, stdin, stdout and stderr links, /dev/pts, /dev/shm and
//     /dev/mqueue;
//   - /sys, read-only;
//   - Docker's read-only (/proc/sys, /proc/sysrq-trigger, ...) and masked
//     (/proc/kcore, /proc/keys, /sys/firmware, ...) kernel files, so that
//     a process running as root changes nothing of the host's kernel;
//   - /etc/hosts and /etc/resolv.conf, copies of the host's (the
//     container shares the host's network, as a host-network job does).
//
// The host's root is detached (pivot_root), so nothing of it is left in
// the container, and no mount reaches the host's namespace.
func enterRoot(s *initSpec) error {
	hosts, err := hostFile("/etc/hosts")
	if err != nil {
		return err
	}
	resolv, err := hostFile("/etc/resolv.conf")
	if err != nil {
		return err
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make the mounts private: %w", err)
	}
	for _, d := range []string{s.Lower, s.Upper, s.Work} {
		if strings.ContainsAny(d, ",:\\") {
			return fmt.Errorf("overlay directory %q: a comma, colon or backslash cannot be passed to overlayfs", d)
		}
	}
	opts := "lowerdir=" + s.Lower + ",upperdir=" + s.Upper + ",workdir=" + s.Work
	if err := unix.Mount("overlay", s.Target, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount the overlay of %s on %s: %w", s.Lower, s.Target, err)
	}
	if err := pivotRoot(s.Target); err != nil {
		return err
	}
	for _, m := range containerMounts() {
		if err := m.mount(); err != nil {
			return err
		}
	}
	if err := makeDevices(); err != nil {
		return err
	}
	if err := protectKernelFiles(); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"/etc/hosts", hosts}, {"/etc/resolv.conf", resolv}} {
		if f.data == nil {
			continue
		}
		if err := os.MkdirAll("/etc", 0o755); err != nil {
			return fmt.Errorf("make /etc: %w", err)
		}
		if err := writeFile(f.name, f.data); err != nil {
			return err
		}
	}
	return nil
}

// hostFile is a host file's content, nil when the host has none.
func hostFile(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the host's %s: %w", name, err)
	}
	return b, nil
}

// writeFile replaces the file name (never writing through a link the
// image has there) with data, mode 0644.
func writeFile(name string, data []byte) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("replace %s: %w", name, err)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// pivotRoot makes the mount at dir the root and detaches the old root.
func pivotRoot(dir string) error {
	if err := unix.Chdir(dir); err != nil {
		return fmt.Errorf("enter the root filesystem: %w", err)
	}
	// With the same directory for both, the old root ends up stacked
	// under the new one, and detaching "." removes it.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root to %s: %w", dir, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the host's root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("enter the root filesystem: %w", err)
	}
	return nil
}

// containerMount is one file system mounted in the container.
type containerMount struct {
	target, fstype, data string
	flags                uintptr
	mode                 os.FileMode // of the mount point, made when missing
}

// containerMounts are Docker's, in order.
func containerMounts() []containerMount {
	return []containerMount{
		{"/proc", "proc", "", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, 0o555},
		{"/dev", "tmpfs", "mode=755,size=65536k", unix.MS_NOSUID | unix.MS_STRICTATIME, 0o755},
		{"/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5", unix.MS_NOSUID | unix.MS_NOEXEC, 0o755},
		{"/dev/shm", "tmpfs", "mode=1777,size=65536k", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, 0o1777},
		{"/dev/mqueue", "mqueue", "", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, 0o755},
		{"/sys", "sysfs", "", unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, 0o555},
	}
}

func (m containerMount) mount() error {
	if err := os.MkdirAll(m.target, m.mode); err != nil {
		return fmt.Errorf("mount point %s: %w", m.target, err)
	}
	if err := unix.Mount(m.fstype, m.target, m.fstype, m.flags, m.data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", m.fstype, m.target, err)
	}
	return nil
}

// makeDevices fills the container's /dev: the device nodes every
// container has (a process cannot make others: it lacks CAP_MKNOD) and
// Docker's links.
func makeDevices() error {
	for _, d := range []struct {
		name         string
		major, minor uint32
	}{
		{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
		{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
	} {
		p := "/dev/" + d.name
		if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
			return fmt.Errorf("make %s: %w", p, err)
		}
		if err := unix.Chmod(p, 0o666); err != nil { // whatever the umask
			return fmt.Errorf("make %s: %w", p, err)
		}
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
		"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx", "core": "/proc/kcore",
	} {
		if err := os.Symlink(target, "/dev/"+name); err != nil {
			return fmt.Errorf("make /dev/%s: %w", name, err)
		}
	}
	return nil
}

// protectKernelFiles makes Docker's read-only kernel files read-only and
// hides its masked ones (a file under /dev/null, a directory under an
// empty read-only tmpfs); those this kernel lacks are skipped.
func protectKernelFiles() error {
	for _, p := range []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"} {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("make %s read-only: %w", p, err)
		}
		flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
		if err := unix.Mount(p, p, "", flags, ""); err != nil {
			return fmt.Errorf("make %s read-only: %w", p, err)
		}
	}
	for _, p := range []string{
		"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
		"/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
	} {
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
		if fi.IsDir() {
			err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "size=0")
		} else {
			err = unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	return nil
}
