package s2

import (
	"encoding/binary"
	"math/bits"
)

// MaxEncodedLen returns the largest length an encoded block of n bytes
// can have, or -1 if n is too large to encode.
func MaxEncodedLen(n int) int {
	if uint64(n) > 0xffffffff {
		return -1
	}
	// Literal tags cost at most one byte in six in the worst case, and
	// copies never cost more than the bytes they stand for (see
	// Encoder.Encode); 32 covers the length header and the last tags.
	m := 32 + uint64(n) + uint64(n)/6
	if m > uint64(int(^uint(0)>>1)) {
		return -1
	}
	return int(m)
}

// Encode returns the encoded form of src as an S2 block, in dst if it is
// large enough (see MaxEncodedLen) and in a new slice otherwise. It is
// Encoder.Encode with an encoder of its own; one that encodes many blocks
// keeps an Encoder.
func Encode(dst, src []byte) []byte {
	var e Encoder
	return e.Encode(dst, src)
}

// Encoder encodes S2 blocks, reusing its hash table from one block to the
// next. The zero value is ready to use; an Encoder is not safe for
// concurrent use.
type Encoder struct {
	table []uint32
}

const (
	// minCompress is the smallest block the encoder looks for matches in;
	// shorter ones are one literal.
	minCompress = 17
	// inputMargin keeps 8-byte loads inside the input.
	inputMargin  = 8
	maxTableBits = 16
	minTableBits = 10
	// hashMul is an odd 64-bit constant (a prime) that spreads 6 bytes
	// over the table index.
	hashMul = 0xcf1bbcdcb7a56463
)

// Encode returns the encoded form of src as an S2 block, in dst if it is
// large enough (see MaxEncodedLen) and in a new slice otherwise. src must
// be at most 4 GiB - 1 bytes long.
//
// It is a greedy matcher: it hashes six bytes at each probed position,
// takes the previous position with the same hash when its first bytes
// match, extends the match both ways and emits it as a copy (or an S2
// repeat when the offset is the previous copy's). After misses the probe
// step grows with the distance from the last match, so incompressible
// input is skipped quickly. Copies never take more bytes than they stand
// for: a copy whose offset needs four bytes is only taken for eight or
// more matching bytes.
func (e *Encoder) Encode(dst, src []byte) []byte {
	n := MaxEncodedLen(len(src))
	if n < 0 {
		panic(ErrTooLarge)
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	} else {
		dst = dst[:n]
	}
	d := binary.PutUvarint(dst, uint64(len(src)))
	if len(src) < minCompress {
		if len(src) > 0 {
			d += emitLiteral(dst[d:], src)
		}
		return dst[:d]
	}
	d += e.encodeBlock(dst[d:], src)
	return dst[:d]
}

// encodeBlock encodes src (at least minCompress bytes) into dst, which
// has room for the worst case, and returns the bytes written.
func (e *Encoder) encodeBlock(dst, src []byte) int {
	tableBits := min(maxTableBits, max(minTableBits, bits.Len(uint(len(src)))-2))
	size := 1 << tableBits
	if cap(e.table) < size {
		e.table = make([]uint32, size)
	} else {
		e.table = e.table[:size]
		clear(e.table)
	}
	table := e.table
	shift := uint(64 - tableBits)
	hash := func(u uint64) uint32 { return uint32((u << 16) * hashMul >> shift) }
	// matches reports whether the 8 bytes cv at s match enough bytes at
	// candidate c for a copy worth its bytes.
	matches := func(cv uint64, s, c int) bool {
		if s-c < 1<<16 {
			return uint32(cv) == binary.LittleEndian.Uint32(src[c:])
		}
		return cv == binary.LittleEndian.Uint64(src[c:])
	}

	sLimit := len(src) - inputMargin
	d, nextEmit, lastOffset := 0, 0, 0
	s := 1
	for {
		// Probe for a match, further apart the longer none is found.
		var c int
		for {
			if s > sLimit {
				goto remainder
			}
			cv := binary.LittleEndian.Uint64(src[s:])
			h := hash(cv)
			c = int(table[h])
			table[h] = uint32(s)
			if c < s && matches(cv, s, c) {
				break
			}
			s += 1 + (s-nextEmit)>>6
		}
		// Extend the match backwards over bytes not yet emitted.
		for c > 0 && s > nextEmit && src[c-1] == src[s-1] {
			c--
			s--
		}
		if s > nextEmit {
			d += emitLiteral(dst[d:], src[nextEmit:s])
		}

		// Emit copies as long as the position after one starts another.
		for {
			base := s
			offset := s - c
			s = extendMatch(src, c+4, s+4)
			if offset == lastOffset {
				d += emitRepeat(dst[d:], s-base)
			} else {
				d += emitCopy(dst[d:], offset, s-base)
				lastOffset = offset
			}
			nextEmit = s
			if s > sLimit {
				goto remainder
			}
			// Index two positions inside the match, then look for a
			// match right after it.
			table[hash(binary.LittleEndian.Uint64(src[s-2:]))] = uint32(s - 2)
			table[hash(binary.LittleEndian.Uint64(src[s-1:]))] = uint32(s - 1)
			cv := binary.LittleEndian.Uint64(src[s:])
			h := hash(cv)
			c = int(table[h])
			table[h] = uint32(s)
			if c >= s || !matches(cv, s, c) {
				s++
				break
			}
		}
	}

remainder:
	if nextEmit < len(src) {
		d += emitLiteral(dst[d:], src[nextEmit:])
	}
	return d
}

// extendMatch returns the end of the match of src at s with src at c
// (c < s), both already matching up to there.
func extendMatch(src []byte, c, s int) int {
	for s+8 <= len(src) {
		x := binary.LittleEndian.Uint64(src[s:]) ^ binary.LittleEndian.Uint64(src[c:])
		if x != 0 {
			return s + bits.TrailingZeros64(x)/8
		}
		s += 8
		c += 8
	}
	for s < len(src) && src[s] == src[c] {
		s++
		c++
	}
	return s
}

// emitLiteral writes lit (not empty) as a literal element to dst and
// returns the bytes written.
func emitLiteral(dst, lit []byte) int {
	n := uint32(len(lit) - 1)
	i := 0
	switch {
	case n < 60:
		dst[0] = byte(n)<<2 | tagLiteral
		i = 1
	case n < 1<<8:
		dst[0] = 60<<2 | tagLiteral
		dst[1] = byte(n)
		i = 2
	case n < 1<<16:
		dst[0] = 61<<2 | tagLiteral
		binary.LittleEndian.PutUint16(dst[1:], uint16(n))
		i = 3
	case n < 1<<24:
		dst[0] = 62<<2 | tagLiteral
		dst[1], dst[2], dst[3] = byte(n), byte(n>>8), byte(n>>16)
		i = 4
	default:
		dst[0] = 63<<2 | tagLiteral
		binary.LittleEndian.PutUint32(dst[1:], n)
		i = 5
	}
	return i + copy(dst[i:], lit)
}

// emitCopy writes a copy of length (at least 4) bytes from offset back to
// dst and returns the bytes written. A copy longer than one element holds
// is one copy followed by a repeat of the rest.
func emitCopy(dst []byte, offset, length int) int {
	if offset < 1<<11 {
		if length <= 11 {
			dst[0] = byte(offset>>8)<<5 | byte(length-4)<<2 | tagCopy1
			dst[1] = byte(offset)
			return 2
		}
		if length > 64 {
			// 8 bytes as a 2-byte copy, the rest as a repeat.
			dst[0] = byte(offset>>8)<<5 | 4<<2 | tagCopy1
			dst[1] = byte(offset)
			return 2 + emitRepeat(dst[2:], length-8)
		}
	}
	first := length
	if length > 64 {
		// A repeat is at least 4 bytes long.
		first = 64
		if length-first < 4 {
			first = 60
		}
	}
	var n int
	if offset < 1<<16 {
		dst[0] = byte(first-1)<<2 | tagCopy2
		binary.LittleEndian.PutUint16(dst[1:], uint16(offset))
		n = 3
	} else {
		dst[0] = byte(first-1)<<2 | tagCopy4
		binary.LittleEndian.PutUint32(dst[1:], uint32(offset))
		n = 5
	}
	if first < length {
		n += emitRepeat(dst[n:], length-first)
	}
	return n
}

// maxRepeat is the longest repeat one element holds.
const maxRepeat = 65540 + 1<<24 - 1

// emitRepeat writes a repeat of the last offset, length (at least 4)
// bytes long, to dst and returns the bytes written.
func emitRepeat(dst []byte, length int) int {
	n := 0
	for length > maxRepeat {
		l := maxRepeat
		if length-l < 4 {
			l -= 4
		}
		n += emitRepeat(dst[n:], l)
		length -= l
	}
	dst = dst[n:]
	switch {
	case length <= 8:
		dst[0] = byte(length-4)<<2 | tagCopy1
		dst[1] = 0
		return n + 2
	case length < 8+1<<8:
		dst[0] = 5<<2 | tagCopy1
		dst[1] = 0
		dst[2] = byte(length - 8)
		return n + 3
	case length < 260+1<<16:
		dst[0] = 6<<2 | tagCopy1
		dst[1] = 0
		binary.LittleEndian.PutUint16(dst[2:], uint16(length-260))
		return n + 4
	default:
		l := length - 65540
		dst[0] = 7<<2 | tagCopy1
		dst[1] = 0
		dst[2], dst[3], dst[4] = byte(l), byte(l>>8), byte(l>>16)
		return n + 5
	}
}
