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
)

// PutBlobFile stores the content of the file at path as a blob, streaming
// it with memory independent of its size, and returns the blob's hash and
// the file's size. The blob is raw (files worth storing whole are mostly
// compressed already) and named by the SHA-256 tree of the file's bytes
// (TreeHash), whose leaves are hashed on every core at once. On a Stager
// backend (the local filesystem) one pass reads the file and writes it to
// a temporary name while other goroutines hash the same buffers, and the
// blob is then renamed to its hash (or dropped, if an intact one is
// there); elsewhere (S3) one pass hashes the file and a second uploads
// it, so an existing blob is not uploaded again (on S3 the backend
// uploads in parts). A file that changes size or modification time while
// it is stored is refused, and so is anything but a regular file.
func (s *Store) PutBlobFile(ctx context.Context, path string) (string, int64, error) {
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
	if st, ok := s.b.(Stager); ok {
		return s.putFileStaged(ctx, st, f, before)
	}
	hash, err := hashCopy(io.Discard, &unchangedReader{r: io.LimitReader(ContextReader(ctx, f), size), f: f, before: before}, size)
	if err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", path, err)
	}
	key := s.blobKey(hash)
	if ok, err := s.blobIntact(ctx, hash, size); err != nil {
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
	if err := s.b.Save(ctx, key, io.MultiReader(bytes.NewReader(hdr), &unchangedReader{r: io.LimitReader(f, size), f: f, before: before})); err != nil {
		return "", 0, fmt.Errorf("put file %s as %s: %w", path, key, err)
	}
	return hash, size, nil
}

// putFileStaged stores f (whose stat is before) in one pass: see
// PutBlobFile. The staged blob holds exactly the bytes hashed; a file that
// changes size or modification time while it is read is refused, since
// what was stored may mix its old and new content.
func (s *Store) putFileStaged(ctx context.Context, st Stager, f *os.File, before os.FileInfo) (string, int64, error) {
	size := before.Size()
	sw, err := st.Stage(ctx, s.flow+"/blobs")
	if err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", f.Name(), err)
	}
	defer sw.Discard()
	if _, err := sw.Write(namedBlobHeader(codecRaw, namingTree, size)); err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", f.Name(), err)
	}
	hash, err := hashCopy(ctxWriter{ctx, sw}, &unchangedReader{r: io.LimitReader(f, size), f: f, before: before}, size)
	if err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", f.Name(), err)
	}
	if err := s.commitStaged(ctx, sw, hash, size); err != nil {
		return "", 0, fmt.Errorf("put file %s: %w", f.Name(), err)
	}
	return hash, size, nil
}

// hashCopy copies exactly size bytes from r to w and returns their hex
// TreeHash: this goroutine reads the bytes leaf by leaf into buffers and
// writes each, and hashWorkers goroutines hash the leaves already read
// meanwhile, so on two cores the copy and the hashing share both. A
// buffer is refilled only once written and hashed, so the bytes hashed
// are the bytes written. Memory: copyBuffers buffers of TreeLeaf bytes.
func hashCopy(w io.Writer, r io.Reader, size int64) (string, error) {
	const copyBuffers = 6
	workers := hashWorkers()
	type leaf struct {
		seq int
		b   []byte
		sum [sha256.Size]byte
	}
	free := make(chan []byte, copyBuffers)
	for range copyBuffers {
		free <- make([]byte, TreeLeaf)
	}
	toHash := make(chan leaf, copyBuffers)
	hashed := make(chan leaf, copyBuffers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for l := range toHash {
				l.sum = leafSum(l.b)
				free <- l.b[:cap(l.b)]
				l.b = nil
				hashed <- l
			}
		})
	}
	go func() {
		wg.Wait()
		close(hashed)
	}()
	hc := make(chan string, 1)
	go func() { // the root takes the leaf digests in order
		root := treeRoot(size)
		pending := make(map[int][sha256.Size]byte, copyBuffers)
		next := 0
		for l := range hashed {
			pending[l.seq] = l.sum
			for sum, ok := pending[next]; ok; sum, ok = pending[next] {
				root.Write(sum[:])
				delete(pending, next)
				next++
			}
		}
		hc <- hexSum(root)
	}()
	var n int64
	var err error
	for seq := 0; err == nil; seq++ {
		b := <-free
		var m int
		m, err = io.ReadFull(r, b)
		if m == 0 {
			free <- b
			break
		}
		n += int64(m)
		// The leaf is hashed while it is written: both only read b,
		// which goes back to free once hashed, and this loop takes
		// another buffer only after the write.
		toHash <- leaf{seq: seq, b: b[:m]}
		if _, werr := w.Write(b[:m]); werr != nil && err == nil {
			err = werr
		}
	}
	close(toHash)
	hash := <-hc
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes, want %d", n, size)
	}
	return hash, err
}

// hashWorkers is how many goroutines hash the leaves of a file blob.
func hashWorkers() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// checkUnchanged fails if f's size or modification time is not before's.
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

// OpenFileBlob opens the blob of a file artifact (stepflow.File) for
// streaming and returns a reader of its bytes and their length. On a
// FileOpener backend (the local filesystem) the reader is the blob's own
// file, positioned after its header: the header's checksum and the stored
// length are checked, but the bytes are not hashed again, because a local
// blob reaches its content address only by a rename after the very bytes
// written were hashed (PutBlobFile, PutBlobParts), so what could make it
// wrong later is damage to the disk, a power loss with Sync off, or an
// edit of the store, which `verify` finds; copying the reader to a file
// uses the kernel's copy_file_range. Elsewhere (S3, whose bytes crossed a
// network) it is OpenBlob: verified against the SHA-256 at the end.
func (s *Store) OpenFileBlob(ctx context.Context, hash string) (io.ReadCloser, int64, error) {
	fo, ok := s.b.(FileOpener)
	if !ok {
		return s.OpenBlob(ctx, hash)
	}
	if err := checkHash(hash); err != nil {
		return nil, 0, fmt.Errorf("open blob: %w", err)
	}
	key := s.blobKey(hash)
	f, err := fo.OpenFile(ctx, key)
	if err != nil {
		return nil, 0, fmt.Errorf("open blob %s: %w", key, err)
	}
	hd, err := s.readBlobHeader(f, hash, key)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	size := hd.size
	if hd.codec != codecRaw { // not written by PutBlobFile: decode it the general way
		f.Close()
		return s.OpenBlob(ctx, hash)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("open blob %s: %w", key, err)
	}
	if fi.Size()-blobHeaderSize != size {
		f.Close()
		s.noteDamaged(hash)
		return nil, 0, fmt.Errorf("open blob %s: %w: stored length %d, header says %d", key, ErrCorrupt, fi.Size()-blobHeaderSize, size)
	}
	return f, size, nil
}
