package datastore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// PutFile stores the content of the file at path as a blob, streaming
// it with memory independent of its size, and returns the blob's hash and
// the file's size. The blob is raw (files worth storing whole are mostly
// compressed already) and named by the SHA-256 tree of the file's bytes
// (TreeHash), whose leaves are read and hashed on every core at once
// (copyLeaves). On a Stager backend (the local filesystem) one pass also
// writes each leaf at its offset of a temporary object, which is then
// renamed to its hash (or dropped, if an intact one is there); elsewhere
// (S3) one pass hashes the file and a second uploads it, so an existing
// blob is not uploaded again (on S3 the backend uploads in parts). A file that changes size or modification time while
// it is stored is refused, and so is anything but a regular file.
func (bl *Blobs) PutFile(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("put file: %w", err)
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", path, err)
	}
	if !before.Mode().IsRegular() {
		// A directory fails to read, but a pipe or a device has no size
		// to check the copy against and would be stored cut short.
		return "", 0, fmt.Errorf("put file %s: not a regular file (mode %s): a File artifact holds the bytes of a regular file", path, before.Mode().Type())
	}
	size := before.Size()
	if st, ok := bl.b.(Stager); ok {
		return bl.putFileStaged(ctx, st, f, before)
	}
	hash, err := copyLeaves(ctx, nil, 0, f, before)
	if err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", path, err)
	}
	key := bl.blobKey(hash)
	if ok, err := bl.blobIntact(ctx, hash, size); err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", key, err)
	} else if ok {
		return hash, size, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil { // second pass
		return "", 0, fmt.Errorf("put file %s: %w", path, err)
	}
	// The file must not change between the passes: store exactly size
	// bytes, and refuse the blob if the file's size or modification time
	// moved (as git and restic judge a file unchanged; hashing it a third
	// time would cost a third of the store's time).
	hdr := namedBlobHeader(codecRaw, namingTree, size)
	if err := bl.b.Save(ctx, key, io.MultiReader(bytes.NewReader(hdr), &unchangedReader{r: io.LimitReader(f, size), f: f, before: before})); err != nil {
		return "", 0, fmt.Errorf("put file %s as %s: %w", path, key, err)
	}
	return hash, size, nil
}

// putFileStaged stores f (whose stat is before) in one pass: see
// PutFile. The staged blob holds exactly the bytes hashed; a file that
// changes size or modification time while it is read is refused, since
// what was stored may mix its old and new content.
func (bl *Blobs) putFileStaged(ctx context.Context, st Stager, f *os.File, before os.FileInfo) (string, int64, error) {
	size := before.Size()
	sw, err := st.Stage(ctx, bl.flow+"/blobs")
	if err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", f.Name(), err)
	}
	defer sw.Discard()
	if _, err := sw.Write(namedBlobHeader(codecRaw, namingTree, size)); err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", f.Name(), err)
	}
	hash, err := copyLeaves(ctx, sw, blobHeaderSize, f, before)
	if err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", f.Name(), err)
	}
	if err := bl.commitStaged(ctx, sw, hash, size); err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", f.Name(), err)
	}
	return hash, size, nil
}

// copyLeaves copies the bytes of f (whose stat is before) into dst from
// offset base on, and returns their TreeHash. hashWorkers goroutines each
// take the next leaf, read it at its offset into their own buffer, hash
// it and write it at its offset, so reading and hashing run on every core
// and no goroutine is the bottleneck of the others; the writes take a
// mutex in turn. The bytes hashed are the bytes written. With
// dst nil it only hashes. A file that changed size or modification time
// meanwhile is refused. Memory: one leaf buffer per worker.
func copyLeaves(ctx context.Context, dst io.WriterAt, base int64, f *os.File, before os.FileInfo) (string, error) {
	size := before.Size()
	leaves := (size + TreeLeaf - 1) / TreeLeaf
	type leaf struct {
		seq int64
		sum [sha256.Size]byte
	}
	var (
		next     atomic.Int64
		errOnce  sync.Once
		firstErr error
		failed   atomic.Bool
		writing  sync.Mutex
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	hashed := make(chan leaf, hashWorkers())
	var wg sync.WaitGroup
	for range min(int64(hashWorkers()), max(leaves, 1)) {
		wg.Go(func() {
			buf := make([]byte, min(TreeLeaf, size))
			for !failed.Load() {
				i := next.Add(1) - 1
				if i >= leaves {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				off := i * TreeLeaf
				b := buf[:min(TreeLeaf, size-off)]
				if _, err := f.ReadAt(b, off); err != nil {
					if err == io.EOF {
						err = fmt.Errorf("file %s changed while it was being stored (shorter than %d bytes); leave it alone until the step ends", f.Name(), size)
					}
					fail(err)
					return
				}
				sum := leafSum(b)
				if dst != nil {
					// One write at a time: the filesystem takes the
					// file's lock for each write anyway, and a writer
					// waiting here sleeps, where one waiting for the
					// kernel's lock spins on the core another worker
					// could hash on.
					writing.Lock()
					_, err := dst.WriteAt(b, base+off)
					writing.Unlock()
					if err != nil {
						fail(err)
						return
					}
				}
				hashed <- leaf{seq: i, sum: sum}
			}
		})
	}
	go func() {
		wg.Wait()
		close(hashed)
	}()
	// The root takes the leaf digests in order; at most one per worker
	// waits for an earlier one.
	root := treeRoot(size)
	pending := make(map[int64][sha256.Size]byte, hashWorkers())
	var done int64
	for l := range hashed {
		pending[l.seq] = l.sum
		for sum, ok := pending[done]; ok; sum, ok = pending[done] {
			root.Write(sum[:])
			delete(pending, done)
			done++
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	if err := checkUnchanged(f, before); err != nil {
		return "", err
	}
	return hexSum(root), nil
}

// hashWorkers is how many goroutines hash the leaves of a file blob.
func hashWorkers() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// checkUnchanged fails if f's size or modification time is not before'bl.
func checkUnchanged(f *os.File, before os.FileInfo) error {
	after, err := f.Stat()
	if err != nil {
		return err
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return fmt.Errorf("file %s changed while it was being stored; leave it alone until the step ends", f.Name())
	}
	return nil
}

// unchangedReader fails at its end if the file it reads changed since it
// was hashed, so a changed file is not stored under the old content's name.
type unchangedReader struct {
	r      io.Reader
	f      *os.File
	before os.FileInfo
}

func (u *unchangedReader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if err == io.EOF {
		if cerr := checkUnchanged(u.f, u.before); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

// FileOpener is implemented by a Backend whose objects are files of the
// local filesystem, each written whole under a temporary name and renamed
// into place (package local). OpenFile opens one for reading; a missing
// object gives an error wrapping ErrNotFound.
type FileOpener interface {
	OpenFile(ctx context.Context, name string) (*os.File, error)
}

// OpenFile opens the blob of a file artifact (stepflow.File) for
// streaming and returns a reader of its bytes and their length. On a
// FileOpener backend (the local filesystem) the reader is the blob's own
// file, positioned after its header: the header's checksum and the stored
// length are checked, but the bytes are not hashed again, because a local
// blob reaches its content address only by a rename after the very bytes
// written were hashed (PutFile, PutParts), so what could make it
// wrong later is damage to the disk, a power loss with Sync off, or an
// edit of the store, which `verify` finds; copying the reader to a file
// uses the kernel's copy_file_range. Elsewhere (S3, whose bytes crossed a
// network) it is Open: verified against the SHA-256 at the end.
func (bl *Blobs) OpenFile(ctx context.Context, hash string) (io.ReadCloser, int64, error) {
	fo, ok := bl.b.(FileOpener)
	if !ok {
		return bl.Open(ctx, hash)
	}
	if err := checkHash(hash); err != nil {
		return nil, 0, fmt.Errorf("open blob: %w", err)
	}
	key := bl.blobKey(hash)
	f, err := fo.OpenFile(ctx, key)
	if err != nil {
		return nil, 0, fmt.Errorf("open blob %s: %w", key, err)
	}
	hd, err := bl.readBlobHeader(f, hash, key)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	size := hd.size
	if hd.codec != codecRaw { // not written by PutFile: decode it the general way
		f.Close()
		return bl.Open(ctx, hash)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("open blob %s: %w", key, err)
	}
	if fi.Size()-blobHeaderSize != size {
		f.Close()
		bl.noteDamaged(hash)
		return nil, 0, fmt.Errorf("open blob %s: %w: stored length %d, header says %d", key, ErrCorrupt, fi.Size()-blobHeaderSize, size)
	}
	return f, size, nil
}
