package datastore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
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
	// chunkSize is the unit of pipelined decode-and-hash in Blobs.Get.
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

func checkHash(hash string) error {
	if len(hash) != 64 {
		return fmt.Errorf("invalid blob hash %q: want 64 hex digits", hash)
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return fmt.Errorf("invalid blob hash %q: %w", hash, err)
	}
	return nil
}

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
