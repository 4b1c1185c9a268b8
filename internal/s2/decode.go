package s2

import (
	"encoding/binary"
	"math/bits"
)

// DecodedLen returns the length of the decoded block src, as its header
// declares it.
func DecodedLen(src []byte) (int, error) {
	n, _, err := decodedLen(src)
	return n, err
}

// decodedLen returns the declared decoded length of block src and the
// length of the header that declares it.
func decodedLen(src []byte) (n, header int, err error) {
	// A 32-bit length takes at most 5 bytes, even with needless zeros.
	v, header := binary.Uvarint(src)
	if header <= 0 || header > binary.MaxVarintLen32 || v > 0xffffffff {
		return 0, 0, ErrCorrupt
	}
	if bits.UintSize == 32 && v > 0x7fffffff {
		return 0, 0, ErrTooLarge
	}
	return int(v), header, nil
}

// Decode returns the decoded form of block src, in dst if it is large
// enough and in a new slice otherwise. It allocates the length the block
// declares (see DecodedLen): a caller decoding untrusted input checks
// that first. Invalid input gives ErrCorrupt; Decode never writes beyond
// the declared length.
func Decode(dst, src []byte) ([]byte, error) {
	n, header, err := decodedLen(src)
	if err != nil {
		return nil, err
	}
	if n <= cap(dst) {
		dst = dst[:n]
	} else {
		dst = make([]byte, n)
	}
	if err := decodeBlock(dst, src[header:]); err != nil {
		return nil, err
	}
	return dst, nil
}

// decodeBlock decodes the elements src (a block without its length
// header) into dst, which they must fill exactly.
func decodeBlock(dst, src []byte) error {
	var d, s, offset int
	for s < len(src) {
		tag := src[s]
		var length int
		switch tag & 3 {
		case tagLiteral:
			x := uint32(tag >> 2)
			switch x {
			case 60:
				if len(src)-s < 2 {
					return ErrCorrupt
				}
				x = uint32(src[s+1])
				s += 2
			case 61:
				if len(src)-s < 3 {
					return ErrCorrupt
				}
				x = uint32(binary.LittleEndian.Uint16(src[s+1:]))
				s += 3
			case 62:
				if len(src)-s < 4 {
					return ErrCorrupt
				}
				x = uint32(src[s+1]) | uint32(src[s+2])<<8 | uint32(src[s+3])<<16
				s += 4
			case 63:
				if len(src)-s < 5 {
					return ErrCorrupt
				}
				x = binary.LittleEndian.Uint32(src[s+1:])
				s += 5
			default:
				s++
			}
			// Compare as uint64: x+1 may not fit an int on 32-bit platforms.
			n := uint64(x) + 1
			if n > uint64(len(dst)-d) || n > uint64(len(src)-s) {
				return ErrCorrupt
			}
			length = int(n)
			if length <= 16 && len(dst)-d >= 16 && len(src)-s >= 16 {
				// Short literals, the common case, by two words: the bytes
				// past length are rewritten by the elements that follow.
				binary.LittleEndian.PutUint64(dst[d:], binary.LittleEndian.Uint64(src[s:]))
				binary.LittleEndian.PutUint64(dst[d+8:], binary.LittleEndian.Uint64(src[s+8:]))
				d += length
				s += length
				continue
			}
			copy(dst[d:], src[s:s+length])
			d += length
			s += length
			continue

		case tagCopy1:
			if len(src)-s < 2 {
				return ErrCorrupt
			}
			length = int(tag >> 2 & 7)
			off := int(tag&0xe0)<<3 | int(src[s+1])
			s += 2
			if off != 0 {
				offset = off
				length += 4
				break
			}
			// A repeat: the last offset again, with a length of its own.
			switch length {
			case 5:
				if len(src)-s < 1 {
					return ErrCorrupt
				}
				length = 8 + int(src[s])
				s++
			case 6:
				if len(src)-s < 2 {
					return ErrCorrupt
				}
				length = 260 + int(binary.LittleEndian.Uint16(src[s:]))
				s += 2
			case 7:
				if len(src)-s < 3 {
					return ErrCorrupt
				}
				length = 65540 + (int(src[s]) | int(src[s+1])<<8 | int(src[s+2])<<16)
				s += 3
			default:
				length += 4
			}

		case tagCopy2:
			if len(src)-s < 3 {
				return ErrCorrupt
			}
			length = 1 + int(tag>>2)
			offset = int(binary.LittleEndian.Uint16(src[s+1:]))
			s += 3

		case tagCopy4:
			if len(src)-s < 5 {
				return ErrCorrupt
			}
			length = 1 + int(tag>>2)
			o := binary.LittleEndian.Uint32(src[s+1:])
			if uint64(o) > uint64(d) {
				return ErrCorrupt
			}
			offset = int(o)
			s += 5
		}
		if offset <= 0 || offset > d || length > len(dst)-d {
			return ErrCorrupt
		}
		if offset >= 8 && length <= 16 && len(dst)-d >= 16 {
			// Short copies by two words, as short literals; with an offset
			// of 8 to 15 the second word reads bytes the first wrote, as a
			// byte-by-byte copy would.
			binary.LittleEndian.PutUint64(dst[d:], binary.LittleEndian.Uint64(dst[d-offset:]))
			binary.LittleEndian.PutUint64(dst[d+8:], binary.LittleEndian.Uint64(dst[d-offset+8:]))
			d += length
			continue
		}
		end := d + length
		if offset >= length {
			copy(dst[d:end], dst[d-offset:])
			d = end
			continue
		}
		// An overlapping copy repeats the last offset bytes: copy them,
		// then the doubled run, and so on.
		from := d - offset
		for d < end {
			d += copy(dst[d:end], dst[from:d])
		}
	}
	if d != len(dst) {
		return ErrCorrupt
	}
	return nil
}
