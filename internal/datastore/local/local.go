// Package local implements datastore.Backend on a local filesystem directory.
//
// Each object is a regular file at root/<name>. Save writes a temporary file
// (".tmp-*") in the object's directory and renames it into place, so readers
// in this or any other process see either no object or the whole object, and
// concurrent writers of the same name never interleave (the last rename wins,
// and callers only re-save identical content).
package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
)

// Options configures a Backend.
type Options struct {
	// Sync makes Save durable across power loss and kernel crashes: the
	// temporary file is fsynced before the rename and the directory is
	// fsynced after it. Without Sync, Save is still atomic with respect to
	// process crashes (a killed run never leaves a half-written object), but
	// the last objects written before a power loss may be lost or, on some
	// filesystems, appear empty; Store detects such blobs as corrupt and
	// records as invalid.
	//
	// The default is false: an fsync costs several times the write it
	// follows, and a task writes 3-6 objects, so syncing them would
	// multiply what the datastore adds to every task. See
	// docs/datastore.md.
	Sync bool
}

// Backend is a filesystem datastore.Backend rooted at a directory.
type Backend struct {
	root string
	opts Options
	// swept holds the directories whose stale temporary files this
	// Backend has removed already (see sweep).
	swept sync.Map
	// emptyChecked is set once the shared empty file of the empty
	// objects is known to be in place (see linkEmpty).
	emptyChecked atomic.Bool
	// link makes hard links: os.Link, or a test's stand-in.
	link func(oldname, newname string) error
}

// TempGrace is how old a temporary file must be before a writer in its
// directory removes it as a leftover of a killed writer. A live writer
// touches its file as it writes, so only a file no one has written for
// this long is taken; an hour is far longer than any pause in a copy.
const TempGrace = time.Hour

var (
	_ datastore.Backend    = (*Backend)(nil)
	_ datastore.FileOpener = (*Backend)(nil)
	_ datastore.Stager     = (*Backend)(nil)
	_ datastore.Sizer      = (*object)(nil)
)

// A program that imports this package opens directories with
// datastore.Open.
func init() {
	datastore.Register(datastore.FileScheme, func(_ context.Context, root string, _ func(string) string) (datastore.Backend, error) {
		if strings.HasPrefix(root, "file://") {
			root = strings.TrimPrefix(root, "file://")
		}
		b, err := New(root, Options{})
		if err != nil {
			return nil, err
		}
		return b, nil
	})
}

// New returns a Backend storing objects under root, creating root if needed.
func New(root string, opts Options) (*Backend, error) {
	if root == "" {
		return nil, errors.New("local datastore: empty root directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local datastore %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("local datastore: create root: %w", err)
	}
	return &Backend{root: abs, opts: opts, link: os.Link}, nil
}

// Root returns the absolute root directory.
func (b *Backend) Root() string { return b.root }

func (b *Backend) path(name string) string {
	return filepath.Join(b.root, filepath.FromSlash(name))
}

// Save implements datastore.Backend.
//
// An object is written to a temporary file created with the object's
// permissions, then renamed into place. An empty object (an attempt
// index entry, say) is created in place instead: a reader can only ever
// see all of it, so it costs one file creation instead of a temporary
// file and a rename. A directory is created on the first write into it
// (see create); a directory Save created holds no leftovers, so it is
// not swept.
//
// Bytes already in memory (a *bytes.Reader, *strings.Reader or
// *bytes.Buffer: an encoded record, a small blob) are written with one
// write, without a copy buffer; any other reader is copied.
func (b *Backend) Save(ctx context.Context, name string, rd io.Reader) error {
	if err := datastore.CheckName(name); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	if mem, ok := rd.(inMemory); ok {
		if mem.Len() == 0 {
			return b.saveEmpty(name)
		}
		return b.saveFile(ctx, name, func(f *os.File) error {
			_, err := mem.WriteTo(f)
			return err
		})
	}
	rd = datastore.ContextReader(ctx, rd)
	var first [1]byte
	n, err := io.ReadFull(rd, first[:])
	if err == io.EOF {
		return b.saveEmpty(name)
	}
	if err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	rd = io.MultiReader(bytes.NewReader(first[:n]), rd)
	return b.saveFile(ctx, name, func(f *os.File) error {
		_, err := io.Copy(f, rd)
		return err
	})
}

// inMemory is a reader of bytes held in memory, which it writes in one
// Write: *bytes.Reader, *strings.Reader, *bytes.Buffer.
type inMemory interface {
	Len() int
	io.WriterTo
}

// saveFile writes the object name, which is not empty, with write to a
// new temporary file, and renames the file into place.
func (b *Backend) saveFile(ctx context.Context, name string, write func(*os.File) error) (err error) {
	p := b.path(name)
	dir := filepath.Dir(p)
	f, tmp, err := b.createTemp(dir, filepath.Base(p))
	if err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	if b.opts.Sync {
		if err = f.Sync(); err != nil {
			return fmt.Errorf("save %s: sync: %w", name, err)
		}
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	if err = ctx.Err(); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	if err = renameFile(tmp, p); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	if b.opts.Sync {
		if err := syncDir(dir); err != nil {
			// The object is in place; only its durability is in doubt.
			return fmt.Errorf("save %s: sync directory: %w", name, err)
		}
	}
	return nil
}

// saveEmpty creates the empty object name in place. An object that
// exists already is left alone: objects are only ever re-saved with the
// same content.
//
// Where the filesystem allows, the object is a hard link of one shared
// empty file (linkEmpty): a name without an inode of its own.
// Empty objects are the attempt index's entries, one or two per attempt
// in one directory per step, and allocating an inode for each was the
// largest cost of a task on ext4 (it scans past recently freed inodes in
// the directory's group, which after any large deletion is most of them).
func (b *Backend) saveEmpty(name string) error {
	p := b.path(name)
	switch err := b.linkEmpty(p); {
	case err == nil:
		if b.opts.Sync {
			if err := syncDir(filepath.Dir(p)); err != nil {
				os.Remove(p)
				return fmt.Errorf("save %s: %w", name, err)
			}
		}
		return nil
	case errors.Is(err, fs.ErrExist):
		if fi, serr := os.Lstat(p); serr != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("save %s: %w", name, err)
		}
		return nil
	case !errors.Is(err, errNoLinks):
		return fmt.Errorf("save %s: %w", name, err)
	}
	f, err := b.create(filepath.Dir(p), false, func() (*os.File, error) {
		return openFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	})
	switch {
	case errors.Is(err, fs.ErrExist):
		if fi, serr := os.Lstat(p); serr != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("save %s: %w", name, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("save %s: %w", name, err)
	}
	if b.opts.Sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && b.opts.Sync {
		err = syncDir(filepath.Dir(p))
	}
	if err != nil {
		os.Remove(p)
		return fmt.Errorf("save %s: %w", name, err)
	}
	return nil
}

// emptyFile is the file under the root, hidden from List and Dirs like
// every name starting with ".", whose hard links are the empty objects.
const emptyFile = ".empty"

// errNoLinks says the filesystem makes no hard links (or not of the
// shared empty file): empty objects are then files of their own.
var errNoLinks = errors.New("no hard links")

// linkEmpty makes p a hard link of the shared empty file, creating p's
// directory if it is missing. It returns an error wrapping fs.ErrExist
// when p exists, and errNoLinks when the filesystem cannot link. A shared
// file that has reached the filesystem's limit of links (65,000 on ext4),
// is missing or is not empty is replaced by a new one, atomically, so
// links made earlier stay empty objects and later ones share the new file.
func (b *Backend) linkEmpty(p string) error {
	for range 4 {
		src, err := b.sharedEmpty()
		if err != nil {
			return fmt.Errorf("%w: %v", errNoLinks, err)
		}
		err = b.link(src, p)
		switch {
		case err == nil, errors.Is(err, fs.ErrExist):
			return err
		case errors.Is(err, syscall.EMLINK):
			b.replaceEmpty()
		case errors.Is(err, fs.ErrNotExist):
			// p's directory is missing (the first task of a step), or
			// else the shared file is.
			dir := filepath.Dir(p)
			created, err := mkdirs(dir)
			switch {
			case err != nil:
				return err
			case created:
				b.swept.Store(dir, true)
			default:
				b.replaceEmpty()
			}
		default: // EPERM, ENOTSUP, EXDEV...: a filesystem without hard links
			return fmt.Errorf("%w: %v", errNoLinks, err)
		}
	}
	return fmt.Errorf("%w: the shared empty file keeps changing", errNoLinks)
}

// sharedEmpty returns the path of the shared empty file, making one if
// there is none or the one there is not an empty regular file. It checks
// the file once per Backend.
func (b *Backend) sharedEmpty() (string, error) {
	src := filepath.Join(b.root, emptyFile)
	if b.emptyChecked.Load() {
		return src, nil
	}
	fi, err := os.Lstat(src)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
		if err := b.replaceEmpty(); err != nil {
			return "", err
		}
	}
	b.emptyChecked.Store(true)
	return src, nil
}

// replaceEmpty puts a new empty file in place of the shared
// one, by rename: a reader sees the old file or the new one, both empty.
func (b *Backend) replaceEmpty() error {
	b.emptyChecked.Store(false)
	tmp := filepath.Join(b.root, ".tmp-empty-"+strconv.FormatUint(rand.Uint64(), 36))
	f, err := openFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if b.opts.Sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = renameFile(tmp, filepath.Join(b.root, emptyFile))
	}
	if err == nil && b.opts.Sync {
		err = syncDir(b.root)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	b.emptyChecked.Store(true)
	return nil
}

// createTemp creates a new temporary file for base in dir, readable by
// all like the object it becomes (os.CreateTemp would make it 0600 and
// cost a chmod).
func (b *Backend) createTemp(dir, base string) (*os.File, string, error) {
	var name string
	f, err := b.create(dir, true, func() (f *os.File, err error) {
		for range 100 {
			name = filepath.Join(dir, ".tmp-"+base+"-"+strconv.FormatUint(uint64(rand.Uint32()), 10))
			f, err = openFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
			if !errors.Is(err, fs.ErrExist) {
				return f, err
			}
		}
		return nil, err
	})
	return f, name, err
}

// create runs open, which creates a file in dir. If dir is missing, it
// creates dir (and its parents), which then holds no leftovers to sweep,
// and runs open again. Otherwise, with sweep, it sweeps dir, once per
// Backend: after the creation, since the sweep leaves young files alone.
//
// With sweep (a temporary file: a record, a log, a blob), a directory
// this Backend has not met yet is created first, before open: the first
// object of an attempt goes to a new directory, where a failed open
// followed by os.MkdirAll (which stats its way up) costs five system calls
// more; for a directory that exists, this costs one mkdir failing with
// EEXIST, once per Backend, next to the sweep's directory read.
//
// An empty object does not sweep: it leaves no temporary file, and the
// directories of empty objects (attempt-index) hold one per
// attempt, so a sweep by each task process of a 10,000-item foreach would
// read 10,000 names or more: O(N²) for the foreach. A leftover there of
// an older binary is only untidy (List never shows it).
func (b *Backend) create(dir string, sweep bool, open func() (*os.File, error)) (*os.File, error) {
	if _, met := b.swept.Load(dir); sweep && !met {
		created, err := mkdirs(dir)
		if err != nil {
			return nil, err
		}
		if created {
			b.swept.Store(dir, true)
		}
	}
	f, err := open()
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := mkdirs(dir); err != nil {
			return nil, err
		}
		b.swept.Store(dir, true)
		return open()
	}
	if sweep {
		b.sweep(dir)
	}
	return f, err
}

// mkdirs creates dir and its missing parents, from dir up: one mkdir
// when only dir is missing, where os.MkdirAll stats dir and its parents
// first. It reports whether it created dir; a dir that exists (made by
// another writer, say) is not an error.
func mkdirs(dir string) (created bool, err error) {
	err = os.Mkdir(dir, 0o755)
	if errors.Is(err, fs.ErrNotExist) {
		parent := filepath.Dir(dir)
		if parent == dir {
			return false, err
		}
		if _, err := mkdirs(parent); err != nil {
			return false, err
		}
		err = os.Mkdir(dir, 0o755)
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		// A file in the way fails the caller's next step (ENOTDIR).
		return false, nil
	}
	return false, err
}

// sweep removes the temporary files older than TempGrace from dir, the
// leftovers of writers killed mid-Save, once per directory and Backend:
// the first Save into a directory pays one directory read, later ones
// nothing. Errors are ignored: a leftover is only untidy (List never
// shows it), and another writer may be removing it at the same time.
func (b *Backend) sweep(dir string) {
	if _, done := b.swept.LoadOrStore(dir, true); done {
		return
	}
	entries, err := readDir(dir)
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-TempGrace)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".tmp-") || e.IsDir() {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// readDir is os.ReadDir, the entries of dir sorted by name, with dir
// opened by openFile: os.ReadDir's os.Open sets up the runtime's poller
// for the process (an epoll instance, an eventfd, a thread woken for
// timers) and offers the directory to it, which a directory refuses.
func readDir(dir string) ([]os.DirEntry, error) {
	f, err := openFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

func syncDir(dir string) error {
	d, err := openFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// notFound wraps fs "not exist" errors (and directories) as ErrNotFound.
func notFound(op, name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errIsDir) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%s %s: %w", op, name, datastore.ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

var errIsDir = errors.New("is a directory")

// Load implements datastore.Backend. The reader reports the object's size
// (datastore.Sizer), found by the same fstat that tells a file from a
// directory.
func (b *Backend) Load(ctx context.Context, name string) (io.ReadCloser, error) {
	f, size, err := b.open(ctx, name)
	if err != nil {
		return nil, err
	}
	return &object{File: f, size: size}, nil
}

// object is a loaded object: its file, and its size when opened (an
// object is never written in place, so the size holds while it is open).
type object struct {
	*os.File
	size int64
}

// Size implements datastore.Sizer.
func (o *object) Size() int64 { return o.size }

// OpenFile implements datastore.FileOpener: Load, as the file it is.
func (b *Backend) OpenFile(ctx context.Context, name string) (*os.File, error) {
	f, _, err := b.open(ctx, name)
	return f, err
}

// open opens the object's file and returns its size.
func (b *Backend) open(ctx context.Context, name string) (*os.File, int64, error) {
	if err := datastore.CheckName(name); err != nil {
		return nil, 0, fmt.Errorf("load: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("load %s: %w", name, err)
	}
	f, err := openFile(b.path(name), os.O_RDONLY, 0)
	if err != nil {
		return nil, 0, notFound("load", name, err)
	}
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		f.Close()
		if err == nil {
			err = errIsDir
		}
		return nil, 0, notFound("load", name, err)
	}
	return f, fi.Size(), nil
}

// Remove implements datastore.Backend.
func (b *Backend) Remove(ctx context.Context, name string) error {
	if err := datastore.CheckName(name); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	p := b.path(name)
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		return fmt.Errorf("remove %s: %w", name, errIsDir)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}

// Stat implements datastore.Backend.
func (b *Backend) Stat(ctx context.Context, name string) (int64, error) {
	if err := datastore.CheckName(name); err != nil {
		return 0, fmt.Errorf("stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("stat %s: %w", name, err)
	}
	fi, err := os.Stat(b.path(name))
	if err == nil && fi.IsDir() {
		err = errIsDir
	}
	if err != nil {
		return 0, notFound("stat", name, err)
	}
	return fi.Size(), nil
}

// List implements datastore.Backend. It walks only the directories that can
// hold names with the prefix, then sorts the matches, because a directory walk
// order ("a/b" before "a.txt") differs from lexical name order.
func (b *Backend) List(ctx context.Context, prefix string, fn func(name string, size int64) error) error {
	if strings.HasPrefix(prefix, "/") || strings.Contains(prefix, "..") {
		return fmt.Errorf("list %q: invalid prefix", prefix)
	}
	base := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		base = prefix[:i]
	}
	type entry struct {
		name string
		size int64
	}
	var entries []entry
	start := b.root
	if base != "" {
		start = b.path(base)
	}
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // vanished or never existed: nothing to list
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(b.root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if p == start {
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			// Descend only if some name below can match the prefix.
			dirName := name + "/"
			if !strings.HasPrefix(dirName, prefix) && !strings.HasPrefix(prefix, dirName) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") || !strings.HasPrefix(name, prefix) || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		entries = append(entries, entry{path.Clean(name), fi.Size()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		if err := fn(e.name, e.size); err != nil {
			return err
		}
	}
	return nil
}

// Dirs reads one directory: the subdirectories of prefix that hold
// something, in lexical order.
func (b *Backend) Dirs(ctx context.Context, prefix string, fn func(elem string) error) error {
	if err := checkDirPrefix(prefix); err != nil {
		return err
	}
	dir := b.root
	if prefix != "" {
		dir = b.path(strings.TrimSuffix(prefix, "/"))
	}
	entries, err := readDir(dir) // sorted by name
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list directories of %q: %w", prefix, err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || datastore.CheckName(e.Name()) != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list directories of %q: %w", prefix, err)
		}
		if empty, err := isEmptyDir(filepath.Join(dir, e.Name())); err != nil || empty {
			continue
		}
		if err := fn(e.Name()); err != nil {
			return err
		}
	}
	return nil
}

func checkDirPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if !strings.HasSuffix(prefix, "/") || datastore.CheckName(strings.TrimSuffix(prefix, "/")) != nil {
		return fmt.Errorf("list directories of %q: invalid prefix; use \"\" or slash-separated elements ending in \"/\"", prefix)
	}
	return nil
}

// isEmptyDir reports whether dir holds nothing but temporary files. It
// stops at the first other name: one directory read for a directory
// with anything in it.
func isEmptyDir(dir string) (bool, error) {
	f, err := openFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for {
		// One name at a time: a batch would read the directory on until
		// it filled; the names come from one getdents buffer either way.
		names, err := f.Readdirnames(1)
		for _, n := range names {
			if !strings.HasPrefix(n, ".") {
				return false, nil
			}
		}
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// Stage implements datastore.Stager: a temporary file (".tmp-*", like
// Save's) in directory dir, renamed into place by Commit.
func (b *Backend) Stage(ctx context.Context, dir string) (datastore.Staged, error) {
	if err := datastore.CheckName(dir); err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("stage in %s: %w", dir, err)
	}
	p := b.path(dir)
	if err := os.MkdirAll(p, 0o755); err != nil {
		return nil, fmt.Errorf("stage in %s: %w", dir, err)
	}
	b.sweep(p)
	f, err := os.CreateTemp(p, ".tmp-staged-*")
	if err != nil {
		return nil, fmt.Errorf("stage in %s: %w", dir, err)
	}
	return &staged{b: b, f: f}, nil
}

// staged is a temporary file waiting for its name.
type staged struct {
	b    *Backend
	f    *os.File
	done bool // committed, failed to commit, or discarded
}

func (s *staged) Write(p []byte) (int, error) { return s.f.Write(p) }

func (s *staged) WriteAt(p []byte, off int64) (int, error) { return s.f.WriteAt(p, off) }

func (s *staged) Commit(ctx context.Context, name string) (err error) {
	if s.done {
		return fmt.Errorf("commit %s: staged object already committed or discarded", name)
	}
	defer func() {
		if err != nil {
			s.Discard()
		}
		s.done = true
	}()
	if err := datastore.CheckName(name); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit %s: %w", name, err)
	}
	if s.b.opts.Sync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("commit %s: sync: %w", name, err)
		}
	}
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("commit %s: %w", name, err)
	}
	tmp := s.f.Name()
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("commit %s: %w", name, err)
	}
	p := s.b.path(name)
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("commit %s: %w", name, err)
	}
	if err := renameFile(tmp, p); err != nil {
		return fmt.Errorf("commit %s: %w", name, err)
	}
	if s.b.opts.Sync {
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("commit %s: sync directory: %w", name, err)
		}
	}
	return nil
}

func (s *staged) Discard() {
	if s.done {
		return
	}
	s.done = true
	s.f.Close()
	os.Remove(s.f.Name())
}
