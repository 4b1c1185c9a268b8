package ocirun

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// extract writes the root filesystem held by the tar stream r into the
// empty directory root: regular files, directories, symbolic and hard
// links, device nodes and FIFOs, with their owners, modes (setuid, setgid
// and sticky bits included) and modification times. Extended attributes
// are not applied.
//
// Every path is resolved inside root, as a process chrooted there would
// resolve it: a symbolic link in an entry's directory (an absolute one
// included) is followed within root and never out of it, and an entry
// whose name leaves root ("../x") is refused. Links are written as they
// are, never followed to write through them.
func extract(r io.Reader, root string) error {
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", root, err)
	}
	x := &extractor{root: fd}
	defer unix.Close(fd)
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read root filesystem: %w", err)
		}
		if err := x.entry(h, tr); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
	}
	// Hard links last: in a flattened image a link can come before the
	// file it names (the link from an upper layer, the file from a lower).
	for _, h := range x.links {
		if err := x.hardLink(h); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
	}
	// Directory times last: writing into a directory changes its time.
	for i := len(x.dirs) - 1; i >= 0; i-- {
		if err := x.times(x.dirs[i]); err != nil {
			return fmt.Errorf("entry %q: %w", x.dirs[i].Name, err)
		}
	}
	return nil
}

// extractor is the state of one extraction: the root, and what is done
// after every entry is written.
type extractor struct {
	root  int // O_PATH descriptor of the root directory
	links []*tar.Header
	dirs  []*tar.Header
}

// inRoot resolves paths inside the root: absolute symbolic links and ".."
// stay within it, and magic links (/proc/self/...) are refused.
const inRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// entryName is an entry's name relative to the root ("." for the root
// itself), or an error when it has a ".." element: whether or not it
// leaves the root, no image needs one.
func entryName(name string) (string, error) {
	n := path.Clean("/" + name)
	if strings.Contains(name, "\x00") {
		return "", errors.New("name holds a NUL byte")
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			// Cleaning "/" + name would swallow a leading "..".
			return "", errors.New("name leaves the root filesystem")
		}
	}
	if n == "/" {
		return ".", nil
	}
	return n[1:], nil
}

// entry writes the tar entry h, its content read from r; a hard link is
// only recorded, to be made last.
func (x *extractor) entry(h *tar.Header, r io.Reader) error {
	name, err := entryName(h.Name)
	if err != nil {
		return err
	}
	h.Name = name
	if name == "." {
		if h.Typeflag != tar.TypeDir {
			return errors.New("the root is not a directory")
		}
		if err := x.meta(x.root, "", h); err != nil {
			return err
		}
		x.dirs = append(x.dirs, h)
		return nil
	}
	switch h.Typeflag {
	case tar.TypeLink:
		if _, err := entryName(h.Linkname); err != nil {
			return fmt.Errorf("hard link to %q: %w", h.Linkname, err)
		}
		x.links = append(x.links, h)
		return nil
	case tar.TypeXGlobalHeader:
		return nil
	}
	dir, base := path.Split(name)
	pfd, err := x.mkdirAll(dir)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	mode := uint32(h.Mode) & 0o7777
	switch h.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(pfd, base, 0o700); err != nil {
			if !errors.Is(err, unix.EEXIST) {
				return fmt.Errorf("mkdir: %w", err)
			}
			if err := x.replace(pfd, base, true); err != nil {
				return err
			}
		}
		x.dirs = append(x.dirs, h)
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		if err := x.replace(pfd, base, false); err != nil {
			return err
		}
		fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return fmt.Errorf("create: %w", err)
		}
		f := os.NewFile(uintptr(fd), name)
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
	case tar.TypeSymlink:
		if err := x.replace(pfd, base, false); err != nil {
			return err
		}
		if err := unix.Symlinkat(h.Linkname, pfd, base); err != nil {
			return fmt.Errorf("symlink: %w", err)
		}
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if err := x.replace(pfd, base, false); err != nil {
			return err
		}
		kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[h.Typeflag]
		dev := unix.Mkdev(uint32(h.Devmajor), uint32(h.Devminor))
		if err := unix.Mknodat(pfd, base, kind|mode, int(dev)); err != nil {
			return fmt.Errorf("mknod: %w", err)
		}
	default:
		return fmt.Errorf("unsupported entry type %q", h.Typeflag)
	}
	if err := x.meta(pfd, base, h); err != nil {
		return err
	}
	if h.Typeflag != tar.TypeDir {
		return x.timesAt(pfd, base, h)
	}
	return nil
}

// replace clears the way for a new entry named base in the directory pfd:
// it removes what is there, except a directory that a directory entry
// (dir) keeps. A non-empty directory in the way of a file is an error.
func (x *extractor) replace(pfd int, base string, dir bool) error {
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("stat: %w", err)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	if dir && isDir {
		return nil
	}
	flags := 0
	if isDir {
		flags = unix.AT_REMOVEDIR
	}
	if err := unix.Unlinkat(pfd, base, flags); err != nil {
		return fmt.Errorf("replace: %w", err)
	}
	if dir {
		if err := unix.Mkdirat(pfd, base, 0o700); err != nil {
			return fmt.Errorf("mkdir: %w", err)
		}
	}
	return nil
}

// meta sets the owner and then the mode (a change of owner clears the
// setuid bit) of base in the directory pfd, or of pfd itself when base is
// empty. A symbolic link has no mode of its own.
func (x *extractor) meta(pfd int, base string, h *tar.Header) error {
	flags := unix.AT_SYMLINK_NOFOLLOW
	if base == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	if err := unix.Fchownat(pfd, base, h.Uid, h.Gid, flags); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	if h.Typeflag == tar.TypeSymlink {
		return nil
	}
	target := base
	if base == "" {
		target = "."
	}
	// base is not a symbolic link (it was just made, and is not a link),
	// so following it is safe.
	if err := unix.Fchmodat(pfd, target, uint32(h.Mode)&0o7777, 0); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	return nil
}

// times sets a directory entry's modification time.
func (x *extractor) times(h *tar.Header) error {
	if h.Name == "." {
		return x.timesAt(x.root, "", h)
	}
	dir, base := path.Split(h.Name)
	pfd, err := x.open(dir)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	return x.timesAt(pfd, base, h)
}

// timesAt sets the access and modification times of base in pfd (of pfd
// itself when base is empty) without following a symbolic link.
func (x *extractor) timesAt(pfd int, base string, h *tar.Header) error {
	atime := h.AccessTime
	if atime.IsZero() {
		atime = h.ModTime
	}
	ts := []unix.Timespec{timespec(atime), timespec(h.ModTime)}
	flags := unix.AT_SYMLINK_NOFOLLOW
	if base == "" {
		base, flags = ".", 0
	}
	if err := unix.UtimesNanoAt(pfd, base, ts, flags); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

// timespec is t for utimensat; the zero time leaves the time unchanged.
func timespec(t time.Time) unix.Timespec {
	if t.IsZero() {
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	return unix.NsecToTimespec(t.UnixNano())
}

// hardLink makes the hard link h, its target resolved inside the root.
func (x *extractor) hardLink(h *tar.Header) error {
	target, _ := entryName(h.Linkname) // checked when the entry was read
	if target == "." {
		return errors.New("hard link to the root directory")
	}
	tdir, tbase := path.Split(target)
	tfd, err := x.open(tdir)
	if err != nil {
		return fmt.Errorf("hard link to %q: %w", h.Linkname, err)
	}
	defer unix.Close(tfd)
	dir, base := path.Split(h.Name)
	pfd, err := x.mkdirAll(dir)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	if err := x.replace(pfd, base, false); err != nil {
		return err
	}
	if err := unix.Linkat(tfd, tbase, pfd, base, 0); err != nil {
		return fmt.Errorf("hard link to %q: %w", h.Linkname, err)
	}
	return nil
}

// open returns an O_PATH descriptor of the directory dir (relative,
// possibly empty) resolved inside the root.
func (x *extractor) open(dir string) (int, error) {
	if dir == "" {
		dir = "."
	}
	fd, err := unix.Openat2(x.root, dir, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: inRoot,
	})
	if err != nil {
		return -1, fmt.Errorf("open directory %q: %w", dir, err)
	}
	return fd, nil
}

// mkdirAll is open, making the missing directories of dir (mode 0755,
// owned by root) first, as tar does for an entry whose directory has no
// entry of its own (yet: a lower layer's may come later).
func (x *extractor) mkdirAll(dir string) (int, error) {
	fd, err := x.open(dir)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	parts := strings.Split(strings.Trim(dir, "/"), "/")
	for i := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		fd, err := x.open(prefix)
		if err == nil {
			unix.Close(fd)
			continue
		}
		if !errors.Is(err, unix.ENOENT) {
			return -1, err
		}
		pfd, err := x.open(strings.Join(parts[:i], "/"))
		if err != nil {
			return -1, err
		}
		err = unix.Mkdirat(pfd, parts[i], 0o755)
		if err == nil {
			err = unix.Fchmodat(pfd, parts[i], 0o755, 0) // whatever the umask
		}
		unix.Close(pfd)
		if err != nil {
			return -1, fmt.Errorf("mkdir %q: %w", prefix, err)
		}
	}
	return x.open(dir)
}
