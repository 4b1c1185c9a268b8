package datastore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"runtime"

	"github.com/klauspost/compress/s2"
)

// Blob format: a 20-byte header followed by the payload.
//
//	offset 0  4 bytes  magic "SFB1"
//	offset 4  1 byte   codec: 0 = raw, 1 = s2 stream (framed, with per-chunk CRC)
//	offset 5  1 byte   naming: 0 = SHA-256 of the bytes, 1 = SHA-256 tree (treehash.go)
//	offset 6  2 bytes  reserved, zero
//	offset 8  8 bytes  uncompressed length, little endian
//	offset 16 4 bytes  CRC-32C of bytes 0..15, little endian
//
// The blob's name is the SHA-256 (or, as byte 5 says, the SHA-256 tree) of
// the uncompressed bytes, which the readers verify after decoding.
const (
	blobMagic      = "SFB1"
	blobHeaderSize = 20
	codecRaw       = 0
	codecS2        = 1
	// maxBlobSize bounds the length a header may claim, so a damaged header
	// with a valid checksum can still not trigger an absurd allocation.
	maxBlobSize = 1 << 40
	// chunkSize is the unit of pipelined decode-and-hash in GetBlob.
	chunkSize = 4 << 20
)

// castagnoli is the CRC-32C table of blob headers (built once per process
// by hash/crc32, and shared with klauspost/compress/s2, which builds it as
// the package starts).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// headerCRC returns the CRC-32C (Castagnoli) of a blob header's first 16
// bytes.
func headerCRC(p []byte) uint32 { return crc32.Checksum(p, castagnoli) }

// blobHeader returns the header of a blob named by the SHA-256 of its
// bytes.
func blobHeader(codec byte, size int64) []byte { return namedBlobHeader(codec, namingFlat, size) }

// namedBlobHeader returns a blob header.
func namedBlobHeader(codec, naming byte, size int64) []byte {
	h := make([]byte, blobHeaderSize)
	copy(h, blobMagic)
	h[4] = codec
	h[5] = naming
	binary.LittleEndian.PutUint64(h[8:], uint64(size))
	binary.LittleEndian.PutUint32(h[16:], headerCRC(h[:16]))
	return h
}

// blobHead is what a blob's header says.
type blobHead struct {
	codec  byte  // codecRaw or codecS2
	naming byte  // namingFlat or namingTree
	size   int64 // uncompressed length
}

// parseBlobHeader reads and checks a blob header.
func parseBlobHeader(h []byte) (blobHead, error) {
	if len(h) != blobHeaderSize || string(h[:4]) != blobMagic {
		return blobHead{}, errors.New("bad magic")
	}
	if headerCRC(h[:16]) != binary.LittleEndian.Uint32(h[16:]) {
		return blobHead{}, errors.New("header checksum mismatch")
	}
	hd := blobHead{codec: h[4], naming: h[5]}
	if hd.codec != codecRaw && hd.codec != codecS2 {
		return blobHead{}, fmt.Errorf("unknown codec %d", hd.codec)
	}
	if hd.naming != namingFlat && hd.naming != namingTree {
		return blobHead{}, fmt.Errorf("unknown naming %d", hd.naming)
	}
	u := binary.LittleEndian.Uint64(h[8:])
	if u > maxBlobSize {
		return blobHead{}, fmt.Errorf("implausible length %d", u)
	}
	hd.size = int64(u)
	return hd, nil
}

// chooseCodec stores data (the concatenation of parts) raw when a sample
// does not compress: it s2-encodes up to four 64 KiB windows spread over
// the data and keeps raw if they shrink by less than 5%. Blobs under
// compressMin are stored raw too.
func chooseCodec(parts [][]byte, size int64) byte {
	const window = 64 << 10
	if size < compressMin {
		return codecRaw
	}
	var in, out int
	var dst []byte
	w := make([]byte, min(size, window))
	n := int64(4)
	if size <= n*window {
		n = 1
	}
	for i := range n {
		off := (size - window) / max(n-1, 1) * i
		if n == 1 {
			off = 0
		}
		c := copyAt(w, parts, off)
		dst = s2.Encode(dst[:cap(dst)], c)
		in += len(c)
		out += len(dst)
	}
	if out*100 > in*95 {
		return codecRaw
	}
	return codecS2
}

// compressMin is the size below which a blob is stored raw, compressible
// or not. A blob is written once and read by every task that inherits it:
// decompressing costs each read more than the bytes it saves (a list of
// sequential ints, which s2 halves, is read by every task of a foreach),
// and below this size the bytes saved are few on a disk and little time
// on S3, next to a request's latency.
const compressMin = 256 << 10

// copyAt copies into w the bytes of the concatenation of parts from offset
// off on, and returns the filled part of w.
func copyAt(w []byte, parts [][]byte, off int64) []byte {
	n := 0
	for _, p := range parts {
		if off >= int64(len(p)) {
			off -= int64(len(p))
			continue
		}
		n += copy(w[n:], p[off:])
		off = 0
		if n == len(w) {
			break
		}
	}
	return w[:n]
}

// BlobHash returns the content address of data: its hex SHA-256.
func BlobHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (s *Store) blobKey(hash string) string {
	return s.flow + "/blobs/" + hash[:2] + "/" + hash
}

func checkHash(hash string) error {
	if len(hash) != 64 {
		return fmt.Errorf("invalid blob hash %q: want 64 hex digits", hash)
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return fmt.Errorf("invalid blob hash %q: %w", hash, err)
	}
	return nil
}

// HasBlob reports whether an object is stored under the hash: one Stat,
// which does not verify the content (PutBlob does more before it trusts
// a stored blob; see blobIntact).
func (s *Store) HasBlob(ctx context.Context, hash string) (bool, error) {
	if err := checkHash(hash); err != nil {
		return false, err
	}
	size, err := s.b.Stat(ctx, s.blobKey(hash))
	switch {
	case err == nil:
		return size >= blobHeaderSize, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("stat blob %s: %w", s.blobKey(hash), err)
}

// PutBlob stores data content-addressed and returns its hash (hex SHA-256 of
// data). See PutBlobParts.
func (s *Store) PutBlob(ctx context.Context, data []byte) (string, error) {
	return s.PutBlobParts(ctx, [][]byte{data})
}

// PutBlobParts stores the concatenation of parts content-addressed and
// returns its hash (hex SHA-256). The write is skipped when a blob with
// that hash already exists. The stored form is compressed with s2 unless a
// sample shows the data to be incompressible; the codec is recorded in the
// blob header. A small raw blob (up to 64 KiB) is joined to its header
// in one buffer; larger ones are streamed to the backend as they are,
// never joined or copied whole. On a backend that can stage an object (the local
// filesystem, see Stager), a blob of at least stageMin bytes is written to
// a temporary name while another goroutine hashes the parts, and renamed to
// its hash; elsewhere one pass hashes the parts and a second writes them,
// so an existing blob is not uploaded again.
func (s *Store) PutBlobParts(ctx context.Context, parts [][]byte) (string, error) {
	var size int64
	for _, p := range parts {
		size += int64(len(p))
	}
	if st, ok := s.b.(Stager); ok && size >= stageMin {
		return s.putPartsStaged(ctx, st, parts, size)
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	hash := hex.EncodeToString(h.Sum(nil))
	key := s.blobKey(hash)
	if ok, err := s.blobIntact(ctx, hash, size); err != nil {
		return "", fmt.Errorf("put blob %s: %w", key, err)
	} else if ok {
		return hash, nil
	}
	codec := chooseCodec(parts, size)
	var rd io.Reader
	switch {
	case codec == codecRaw && size <= readWholeMax:
		// A small blob (most values) is joined to its header, so that the
		// backend gets it as bytes in memory: one write, or one request
		// of known length.
		blob := append(make([]byte, 0, blobHeaderSize+size), blobHeader(codec, size)...)
		for _, p := range parts {
			blob = append(blob, p...)
		}
		rd = bytes.NewReader(blob)
	case codec == codecRaw:
		rs := []io.Reader{bytes.NewReader(blobHeader(codec, size))}
		for _, p := range parts {
			rs = append(rs, bytes.NewReader(p))
		}
		rd = io.MultiReader(rs...)
	default:
		pr, pw := io.Pipe()
		defer pr.Close() // unblocks the encoder if Save stops reading early
		go func() {
			pw.CloseWithError(writePayload(pw, codec, size, parts)) // nil error closes normally
		}()
		rd = pr
	}
	if err := s.b.Save(ctx, key, rd); err != nil {
		return "", fmt.Errorf("put blob %s: %w", key, err)
	}
	return hash, nil
}

// stageMin is the size from which PutBlobParts hashes and writes a blob in
// parallel on a Stager backend. Below it, hashing first costs little and
// lets an existing blob skip the write (records and small artifacts are
// often stored again unchanged).
const stageMin = 1 << 20

// writePayload writes the blob of the concatenation of parts (size bytes)
// in the given codec, header included, to w.
func writePayload(w io.Writer, codec byte, size int64, parts [][]byte) error {
	if _, err := w.Write(blobHeader(codec, size)); err != nil {
		return err
	}
	if codec == codecRaw {
		for _, p := range parts {
			if _, err := w.Write(p); err != nil {
				return err
			}
		}
		return nil
	}
	sw := s2.NewWriter(w, s2.WriterConcurrency(runtime.GOMAXPROCS(0)))
	var err error
	for _, p := range parts {
		if err = sw.EncodeBuffer(p); err != nil { // no copy of p, which is not modified before Close
			break
		}
	}
	if cerr := sw.Close(); err == nil {
		err = cerr
	}
	return err
}

// putPartsStaged writes the blob of parts to a staged object while a
// second goroutine hashes the parts (they are only read, so both may use
// them at once), then names it by the hash, or drops it if an intact blob
// of that hash is there already. The staged object holds exactly the bytes
// hashed, so a blob never reaches its content address with other bytes;
// a crash before the rename leaves only a temporary file.
func (s *Store) putPartsStaged(ctx context.Context, st Stager, parts [][]byte, size int64) (string, error) {
	codec := chooseCodec(parts, size)
	sw, err := st.Stage(ctx, s.flow+"/blobs")
	if err != nil {
		return "", fmt.Errorf("put blob: %w", err)
	}
	defer sw.Discard()
	hc := make(chan string, 1)
	go func() {
		h := sha256.New()
		for _, p := range parts {
			h.Write(p)
		}
		hc <- hex.EncodeToString(h.Sum(nil))
	}()
	err = writePayload(ctxWriter{ctx, sw}, codec, size, parts)
	hash := <-hc
	key := s.blobKey(hash)
	if err != nil {
		return "", fmt.Errorf("put blob %s: %w", key, err)
	}
	return hash, s.commitStaged(ctx, sw, hash, size)
}

// commitStaged names a staged blob by its hash, unless an intact blob of
// that hash exists already (then the staged copy is dropped).
func (s *Store) commitStaged(ctx context.Context, sw Staged, hash string, size int64) error {
	key := s.blobKey(hash)
	if ok, err := s.blobIntact(ctx, hash, size); err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	} else if ok {
		return nil
	}
	if err := sw.Commit(ctx, key); err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	}
	return nil
}

// ctxWriter fails once ctx is cancelled, so a staged write stops.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// readBlobHeader reads and checks the header at the start of blob hash
// (stored at key) from r, noting the blob as damaged when the header is
// cut short or wrong.
func (s *Store) readBlobHeader(r io.Reader, hash, key string) (blobHead, error) {
	hdr := make([]byte, blobHeaderSize)
	if _, err := io.ReadFull(r, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			s.noteDamaged(hash)
			return blobHead{}, fmt.Errorf("open blob %s: %w: truncated header", key, ErrCorrupt)
		}
		return blobHead{}, fmt.Errorf("open blob %s: %w", key, err)
	}
	hd, err := parseBlobHeader(hdr)
	if err != nil {
		s.noteDamaged(hash)
		return blobHead{}, fmt.Errorf("open blob %s: %w: %v", key, ErrCorrupt, err)
	}
	return hd, nil
}

// OpenBlob opens the blob with the given hash for streaming: it returns a
// reader of the decoded bytes and their length. The reader verifies what it
// read when it reaches the end: instead of io.EOF it returns an error
// wrapping ErrCorrupt when the length or SHA-256 does not match, so a
// caller must read to io.EOF before trusting the bytes. A missing blob
// gives an error wrapping ErrNotFound. The caller closes the reader.
func (s *Store) OpenBlob(ctx context.Context, hash string) (io.ReadCloser, int64, error) {
	if err := checkHash(hash); err != nil {
		return nil, 0, fmt.Errorf("open blob: %w", err)
	}
	key := s.blobKey(hash)
	rc, err := s.b.Load(ctx, key)
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
	hd, err := s.readBlobHeader(src, hash, key)
	if err != nil {
		rc.Close()
		return nil, 0, err
	}
	br := &blobReader{ctx: ctx, closer: rc, tr: &trackReader{r: src}, h: namingHash(hd.naming, hd.size), size: hd.size,
		want: hash, key: key, damaged: func() { s.noteDamaged(hash) }}
	br.src = br.tr
	if hd.codec == codecS2 {
		br.src = s2.NewReader(br.tr, s2.ReaderIgnoreCRC()) // the SHA-256 check covers the data
	}
	return br, hd.size, nil
}

// readWholeMax is the stored size up to which OpenBlob reads a blob whole
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

// GetBlob loads, decompresses and verifies the blob with the given hash.
// A missing blob gives an error wrapping ErrNotFound; a damaged one (bad
// header, truncated, trailing data, undecodable, or hash mismatch) gives an
// error naming the blob key and wrapping ErrCorrupt. Decoding and SHA-256
// verification run concurrently, chunk by chunk, into one output buffer.
func (s *Store) GetBlob(ctx context.Context, hash string) ([]byte, error) {
	if err := checkHash(hash); err != nil {
		return nil, fmt.Errorf("get blob: %w", err)
	}
	key := s.blobKey(hash)
	rc, err := s.b.Load(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	defer rc.Close()
	corrupt := func(format string, args ...any) error {
		s.noteDamaged(hash)
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
		stored, err := s.b.Stat(ctx, key)
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

// trackReader remembers the first error of the reader it wraps, so GetBlob
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
