package datastore

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/s2"
)

// readBlobHeader reads and checks the header at the start of blob hash
// (stored at key) from r, noting the blob as damaged when the header is
// cut short or wrong.
func (bl *Blobs) readBlobHeader(r io.Reader, hash, key string) (blobHead, error) {
	hdr := make([]byte, blobHeaderSize)
	if _, err := io.ReadFull(r, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			bl.noteDamaged(hash)
			return blobHead{}, fmt.Errorf("open blob %s: %w: truncated header", key, ErrCorrupt)
		}
		return blobHead{}, fmt.Errorf("open blob %s: %w", key, err)
	}
	hd, err := parseBlobHeader(hdr)
	if err != nil {
		bl.noteDamaged(hash)
		return blobHead{}, fmt.Errorf("open blob %s: %w: %v", key, ErrCorrupt, err)
	}
	return hd, nil
}

// Open opens the blob with the given hash for streaming: it returns a
// reader of the decoded bytes and their length. The reader verifies what it
// read when it reaches the end: instead of io.EOF it returns an error
// wrapping ErrCorrupt when the length or SHA-256 does not match, so a
// caller must read to io.EOF before trusting the bytes. A missing blob
// gives an error wrapping ErrNotFound. The caller closes the reader.
func (bl *Blobs) Open(ctx context.Context, hash string) (io.ReadCloser, int64, error) {
	if err := checkHash(hash); err != nil {
		return nil, 0, fmt.Errorf("open blob: %w", err)
	}
	key := bl.blobKey(hash)
	rc, err := bl.b.Load(ctx, key)
	if err != nil {
		return nil, 0, fmt.Errorf("open blob %s: %w", key, err)
	}
	// A small blob of known size is read whole, in one read, and decoded
	// from memory.
	var src io.Reader = rc
	if sz, ok := rc.(Sizer); ok && sz.Size() <= readWholeMax {
		data, err := readObject(rc)
		if err != nil {
			rc.Close()
			return nil, 0, fmt.Errorf("open blob %s: %w", key, err)
		}
		src = bytes.NewReader(data)
	}
	hd, err := bl.readBlobHeader(src, hash, key)
	if err != nil {
		rc.Close()
		return nil, 0, err
	}
	br := &blobReader{ctx: ctx, closer: rc, tr: &trackReader{r: src}, h: namingHash(hd.naming, hd.size), size: hd.size,
		want: hash, key: key, damaged: func() { bl.noteDamaged(hash) }}
	br.src = br.tr
	if hd.codec == codecS2 {
		br.src = s2.NewReader(br.tr, s2.ReaderIgnoreCRC()) // the SHA-256 check covers the data
	}
	return br, hd.size, nil
}

// readWholeMax is the stored size up to which Open reads a blob whole
// when the backend tells its size (a record-sized value: most artifacts).
const readWholeMax = 64 << 10

// blobReader decodes a blob and verifies it at its end.
type blobReader struct {
	ctx    context.Context
	src    io.Reader
	tr     *trackReader
	closer io.Closer
	h      hash.Hash
	n      int64
	size   int64
	want   string
	key    string
	err    error // sticky
	// damaged is called when the blob proves damaged.
	damaged func()
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if err := r.ctx.Err(); err != nil {
		r.err = fmt.Errorf("read blob %s: %w", r.key, err)
		return 0, r.err
	}
	var n int
	var err error
	if len(p) >= 2*pipeChunk {
		n, err = r.readHashing(p)
	} else {
		n, err = r.src.Read(p)
		r.h.Write(p[:n])
	}
	r.n += int64(n)
	corrupt := func(format string, args ...any) error {
		r.damaged()
		return fmt.Errorf("read blob %s: %w: %s", r.key, ErrCorrupt, fmt.Sprintf(format, args...))
	}
	switch {
	case r.n > r.size:
		r.err = corrupt("%v", errTrailing)
	case err == io.EOF && r.n < r.size:
		r.err = corrupt("truncated: %d of %d bytes", r.n, r.size)
	case err == io.EOF && hex.EncodeToString(r.h.Sum(nil)) != r.want:
		r.err = corrupt("%v", errMismatch)
	case err == io.EOF:
		r.err = io.EOF
	case err != nil && r.tr.err != nil && r.tr.err != io.EOF && errors.Is(err, r.tr.err):
		r.err = fmt.Errorf("read blob %s: %w", r.key, err)
	case err != nil && r.ctx.Err() != nil && errors.Is(err, r.ctx.Err()):
		r.err = fmt.Errorf("read blob %s: %w", r.key, err)
	case err != nil:
		r.err = corrupt("%v", err)
	}
	if r.err != nil && r.err != io.EOF {
		return 0, r.err
	}
	return n, r.err
}

// pipeChunk is the unit in which blobReader.readHashing hands what it
// read to the hashing goroutine.
const pipeChunk = 1 << 20

// readHashing serves a large read (an array decoded straight into its
// memory): it fills p chunk by chunk while a second goroutine hashes the
// chunks already read, so reading (and decompressing) overlaps hashing,
// and returns when p is full or the stream ends or fails, with all it
// read hashed; p is not touched after it returns. End of stream is
// io.EOF, with or without bytes.
func (r *blobReader) readHashing(p []byte) (int, error) {
	chunks := make(chan []byte, 4)
	done := make(chan struct{})
	go func() {
		for c := range chunks {
			r.h.Write(c)
		}
		close(done)
	}()
	n := 0
	var err error
	for n < len(p) && err == nil {
		var m int
		m, err = io.ReadFull(r.src, p[n:min(n+pipeChunk, len(p))])
		if m > 0 {
			chunks <- p[n : n+m]
			n += m
		}
		if err == nil {
			err = r.ctx.Err()
		}
	}
	close(chunks)
	<-done
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

func (r *blobReader) Close() error { return r.closer.Close() }

// Get loads, decompresses and verifies the blob with the given hash.
// A missing blob gives an error wrapping ErrNotFound; a damaged one (bad
// header, truncated, trailing data, undecodable, or hash mismatch) gives an
// error naming the blob key and wrapping ErrCorrupt. Decoding and SHA-256
// verification run concurrently, chunk by chunk, into one output buffer.
func (bl *Blobs) Get(ctx context.Context, hash string) ([]byte, error) {
	if err := checkHash(hash); err != nil {
		return nil, fmt.Errorf("get blob: %w", err)
	}
	key := bl.blobKey(hash)
	rc, err := bl.b.Load(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	defer rc.Close()
	corrupt := func(format string, args ...any) error {
		bl.noteDamaged(hash)
		return fmt.Errorf("get blob %s: %w: %s", key, ErrCorrupt, fmt.Sprintf(format, args...))
	}
	hdr := make([]byte, blobHeaderSize)
	if _, err := io.ReadFull(rc, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, corrupt("truncated header")
		}
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	hd, err := parseBlobHeader(hdr)
	if err != nil {
		return nil, corrupt("%v", err)
	}
	codec, size := hd.codec, hd.size
	if codec == codecRaw {
		// Cheap early check of truncation before allocating.
		stored, err := bl.b.Stat(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("get blob %s: %w", key, err)
		}
		if stored-blobHeaderSize != size {
			return nil, corrupt("stored length %d, header says %d", stored-blobHeaderSize, size)
		}
	}
	tr := &trackReader{r: rc}
	var src io.Reader = tr
	if codec == codecS2 {
		// The SHA-256 check below covers the data; the frames' CRCs would only
		// repeat it.
		src = s2.NewReader(tr, s2.ReaderIgnoreCRC())
	}
	out, err := readVerified(ctx, src, size, namingHash(hd.naming, size), hash)
	if err != nil {
		// Errors of the backend's reader and cancellation are reported as
		// they are; anything else (short data, decoder errors, hash
		// mismatch) means the stored bytes are bad.
		if (tr.err != nil && tr.err != io.EOF && errors.Is(err, tr.err)) || ctx.Err() != nil {
			return nil, fmt.Errorf("get blob %s: %w", key, err)
		}
		return nil, corrupt("%v", err)
	}
	return out, nil
}

var (
	errMismatch = errors.New("content does not match its SHA-256")
	errTrailing = errors.New("trailing data after declared length")
)

// trackReader remembers the first error of the reader it wraps, so Get
// can tell I/O errors from decoding errors.
type trackReader struct {
	r   io.Reader
	err error
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && t.err == nil {
		t.err = err
	}
	return n, err
}

// readVerified reads exactly size bytes from src, checks that nothing
// follows, and verifies their digest by h against want. Reading (and
// decoding) of chunk i+1 overlaps hashing of chunk i.
func readVerified(ctx context.Context, src io.Reader, size int64, h hash.Hash, want string) ([]byte, error) {
	// The header (and so size) is CRC-protected, so one allocation of the
	// declared size is safe against accidental corruption.
	out := make([]byte, size)
	chunks := make(chan []byte, 2)
	errc := make(chan error, 1)
	go func() {
		defer close(chunks)
		for off := int64(0); off < size; {
			if err := ctx.Err(); err != nil {
				errc <- err
				return
			}
			c := out[off:min(off+chunkSize, size)]
			if _, err := io.ReadFull(src, c); err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				errc <- err
				return
			}
			off += int64(len(c))
			chunks <- c
		}
		var one [1]byte
		switch n, err := io.ReadFull(src, one[:]); {
		case n > 0:
			errc <- errTrailing
		case err == io.EOF:
			errc <- nil
		default:
			errc <- err
		}
	}()
	for c := range chunks {
		h.Write(c)
	}
	if err := <-errc; err != nil {
		return nil, err
	}
	if hex.EncodeToString(h.Sum(nil)) != want {
		return nil, errMismatch
	}
	return out, nil
}
