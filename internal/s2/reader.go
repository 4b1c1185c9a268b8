package s2

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Reader decodes an S2 stream (or one in Snappy's framing format). It
// accepts concatenated streams and skips skippable chunks (padding, S2's
// index). Invalid data gives an error wrapping ErrCorrupt; an error of
// the source is returned as it is, and a source that ends inside a chunk
// gives an error wrapping both ErrCorrupt and io.ErrUnexpectedEOF.
type Reader struct {
	r         io.Reader
	verifyCRC bool
	sawID     bool
	buf       []byte // the chunk being decoded
	dec       []byte // decoded bytes; dec[i:] are still to be read
	i         int
	err       error // sticky
}

// NewReader returns a Reader of the stream r. It checks each chunk's
// CRC-32C when verifyCRC is set; a caller that verifies the decoded bytes
// otherwise (a cryptographic hash) leaves it unset and saves the work.
func NewReader(r io.Reader, verifyCRC bool) *Reader {
	return &Reader{r: r, verifyCRC: verifyCRC}
}

// Read reads decoded bytes into p. A chunk is decoded straight into p
// when p can hold all of it.
func (r *Reader) Read(p []byte) (int, error) {
	for r.i >= len(r.dec) {
		if r.err != nil {
			return 0, r.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		n, err := r.next(p)
		if err != nil {
			r.err = err
			return 0, err
		}
		if n > 0 {
			return n, nil
		}
	}
	n := copy(p, r.dec[r.i:])
	r.i += n
	return n, nil
}

// next reads the next chunk with data and decodes it: into p if it fits
// there (returning its length), else into r.dec (returning 0). The end of
// the stream is io.EOF.
func (r *Reader) next(p []byte) (int, error) {
	var hdr [chunkHeaderLen]byte
	for {
		if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
			if err == io.EOF {
				return 0, io.EOF
			}
			return 0, r.readErr(err)
		}
		typ := hdr[0]
		n := int(hdr[1]) | int(hdr[2])<<8 | int(hdr[3])<<16
		if typ != chunkStreamID && !r.sawID {
			return 0, fmt.Errorf("%w: no stream identifier", ErrCorrupt)
		}
		switch {
		case typ == chunkStreamID:
			if n != len(streamID) {
				return 0, fmt.Errorf("%w: stream identifier of %d bytes", ErrCorrupt, n)
			}
			if err := r.fill(n); err != nil {
				return 0, err
			}
			if id := string(r.buf); id != streamID && id != snappyStreamID {
				return 0, fmt.Errorf("%w: unknown stream identifier %q", ErrCorrupt, id)
			}
			r.sawID = true

		case typ == chunkCompressed:
			if n < checksumLen || n > checksumLen+MaxEncodedLen(MaxBlockSize) {
				return 0, fmt.Errorf("%w: compressed chunk of %d bytes", ErrCorrupt, n)
			}
			if err := r.fill(n); err != nil {
				return 0, err
			}
			block := r.buf[checksumLen:]
			dlen, hlen, err := decodedLen(block)
			if err != nil || dlen > MaxBlockSize {
				return 0, fmt.Errorf("%w: chunk declares a bad length", ErrCorrupt)
			}
			dst := p
			if dlen > len(dst) {
				if cap(r.dec) < dlen {
					r.dec = make([]byte, dlen, max(dlen, BlockSize))
				}
				dst = r.dec[:dlen]
			}
			dst = dst[:dlen]
			if err := decodeBlock(dst, block[hlen:]); err != nil {
				return 0, err
			}
			if err := r.check(dst); err != nil {
				return 0, err
			}
			return r.took(p, dst), nil

		case typ == chunkUncompressed:
			if n < checksumLen || n > checksumLen+MaxBlockSize {
				return 0, fmt.Errorf("%w: uncompressed chunk of %d bytes", ErrCorrupt, n)
			}
			if err := r.fill(checksumLen); err != nil {
				return 0, err
			}
			crc := binary.LittleEndian.Uint32(r.buf)
			n -= checksumLen
			dst := p
			if n > len(dst) {
				if cap(r.dec) < n {
					r.dec = make([]byte, n, max(n, BlockSize))
				}
				dst = r.dec
			}
			dst = dst[:n]
			if _, err := io.ReadFull(r.r, dst); err != nil {
				return 0, r.readErr(err)
			}
			if r.verifyCRC && checksum(dst) != crc {
				return 0, fmt.Errorf("%w: chunk checksum mismatch", ErrCorrupt)
			}
			return r.took(p, dst), nil

		case typ <= chunkMaxUnskippable:
			return 0, fmt.Errorf("%w: unskippable chunk type %#x", ErrCorrupt, typ)

		default:
			if _, err := io.CopyN(io.Discard, r.r, int64(n)); err != nil {
				return 0, r.readErr(err)
			}
		}
	}
}

// took records the decoded chunk dst: it returns its length if it was
// decoded into p, and otherwise keeps it in r.dec to be read and returns 0.
func (r *Reader) took(p, dst []byte) int {
	if len(dst) > 0 && len(p) > 0 && &dst[0] == &p[0] {
		r.dec, r.i = r.dec[:0], 0
		return len(dst)
	}
	r.dec, r.i = dst, 0
	return 0
}

// check verifies the checksum at the start of r.buf against the decoded
// chunk, if the Reader verifies checksums.
func (r *Reader) check(decoded []byte) error {
	if r.verifyCRC && checksum(decoded) != binary.LittleEndian.Uint32(r.buf) {
		return fmt.Errorf("%w: chunk checksum mismatch", ErrCorrupt)
	}
	return nil
}

// fill reads the next n bytes of the source into r.buf.
func (r *Reader) fill(n int) error {
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.r, r.buf); err != nil {
		return r.readErr(err)
	}
	return nil
}

// readErr is the error of reading inside a chunk: a source that ends
// there is a truncated stream.
func (r *Reader) readErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return truncatedError{}
	}
	return err
}

// truncatedError reports a stream that ends inside a chunk: it wraps
// ErrCorrupt and io.ErrUnexpectedEOF. (A type rather than a variable made
// with fmt.Errorf, which would run in every process that links the
// package.)
type truncatedError struct{}

func (truncatedError) Error() string { return "s2: corrupt input: truncated chunk" }

func (truncatedError) Unwrap() []error { return []error{ErrCorrupt, io.ErrUnexpectedEOF} }
