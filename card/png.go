package card

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// The PNG checks of an image added to a card, written here rather than
// done with image/png's DecodeConfig: every flow binary links this package
// and every local task starts one, and image/png would bring
// compress/flate and its table building at package initialisation to each
// of them. The checks are DecodeConfig's (png_test.go compares the two),
// with two more: the first chunk must be IHDR, as the PNG specification
// (and libpng, so browsers) requires, and the image must have at most
// MaxImagePixels pixels.

// pngSignature begins every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// The colour types of PNG's IHDR chunk.
const (
	pngGray      = 0
	pngTrueColor = 2
	pngPaletted  = 3
	pngGrayAlpha = 4
	pngTrueAlpha = 6
)

// pngDepths holds the bit depths allowed for each colour type, one bit
// per depth (the specification's table 11.1). An array rather than a map:
// it needs no work at package initialisation.
var pngDepths = [...]uint32{
	pngGray:      1<<1 | 1<<2 | 1<<4 | 1<<8 | 1<<16,
	pngTrueColor: 1<<8 | 1<<16,
	pngPaletted:  1<<1 | 1<<2 | 1<<4 | 1<<8,
	pngGrayAlpha: 1<<8 | 1<<16,
	pngTrueAlpha: 1<<8 | 1<<16,
}

// pngSize checks that data begins as a PNG file does and returns the
// width and height of its image, of at most MaxImagePixels pixels.
func pngSize(data []byte) (width, height int, err error) {
	w, h, err := pngHeader(data)
	if err != nil {
		return 0, 0, fmt.Errorf("not a valid PNG file: %w; give the bytes of a PNG file (encode an image.Image with image/png)", err)
	}
	if uint64(w)*uint64(h) > MaxImagePixels {
		return 0, 0, fmt.Errorf("%d×%d pixels, more than the %d a card keeps; scale it down", w, h, MaxImagePixels)
	}
	return int(w), int(h), nil
}

// pngHeader checks the start of a PNG file and returns the width and
// height of its image: the signature, then the IHDR chunk (size, bit depth
// and colour type, compression, filter and interlace methods, checksum)
// and, for a paletted image, the chunks up to its palette (PLTE) and the
// first one after it.
func pngHeader(data []byte) (width, height uint32, err error) {
	if len(data) < len(pngSignature) || string(data[:len(pngSignature)]) != pngSignature {
		return 0, 0, errors.New("it does not start with the PNG signature")
	}
	r := chunkReader{rest: data[len(pngSignature):]}
	length, typ, err := r.header()
	if err != nil {
		return 0, 0, err
	}
	if typ != "IHDR" {
		return 0, 0, fmt.Errorf("its first chunk is %q, not IHDR", typ)
	}
	if length != 13 {
		return 0, 0, fmt.Errorf("its IHDR chunk has %d bytes, not 13", length)
	}
	h, err := r.body(typ, length)
	if err != nil {
		return 0, 0, err
	}
	width, height = binary.BigEndian.Uint32(h[0:4]), binary.BigEndian.Uint32(h[4:8])
	depth, colour := h[8], h[9]
	switch {
	case width == 0 || height == 0 || width > 1<<31-1 || height > 1<<31-1:
		return 0, 0, fmt.Errorf("its size, %d×%d pixels, is not 1 to 2³¹-1 by 1 to 2³¹-1", width, height)
	case depth > 16 || int(colour) >= len(pngDepths) || pngDepths[colour]&(1<<depth) == 0:
		return 0, 0, fmt.Errorf("bit depth %d with colour type %d is not a combination PNG allows", depth, colour)
	case h[10] != 0:
		return 0, 0, fmt.Errorf("compression method %d is not PNG's (0)", h[10])
	case h[11] != 0:
		return 0, 0, fmt.Errorf("filter method %d is not PNG's (0)", h[11])
	case h[12] > 1:
		return 0, 0, fmt.Errorf("interlace method %d is neither none (0) nor Adam7 (1)", h[12])
	}
	if colour == pngPaletted {
		if err := r.palette(depth); err != nil {
			return 0, 0, err
		}
	}
	return width, height, nil
}

// palette checks the chunks of a paletted image from the one after IHDR to
// the one after its PLTE chunk (tRNS or IDAT), as DecodeConfig does: the
// palette must come before the image data and hold 1 to 2^depth colours.
func (r *chunkReader) palette(depth byte) error {
	seenPLTE := false
	for {
		length, typ, err := r.header()
		if err != nil {
			return err
		}
		switch typ {
		case "PLTE":
			if seenPLTE {
				return errors.New("it has two PLTE chunks")
			}
			if n := length / 3; length%3 != 0 || n == 0 || n > 1<<depth {
				return fmt.Errorf("its PLTE chunk has %d bytes, not 3 for each of 1 to %d colours", length, 1<<depth)
			}
			seenPLTE = true
		case "tRNS", "IDAT":
			if !seenPLTE {
				return fmt.Errorf("its %s chunk comes before its palette (PLTE)", typ)
			}
			if typ == "IDAT" {
				return nil
			}
			if length > 256 {
				return fmt.Errorf("its tRNS chunk has %d bytes, more than one for each of at most 256 colours", length)
			}
		case "IHDR", "IEND":
			return fmt.Errorf("its %s chunk comes before its image data", typ)
		default:
			if length > 1<<31-1 {
				return fmt.Errorf("its %q chunk's length, %d, is more than 2³¹-1", typ, length)
			}
		}
		if _, err := r.body(typ, length); err != nil {
			return err
		}
		if typ == "tRNS" {
			return nil
		}
	}
}

// chunkReader reads the chunks of a PNG file: each a 4-byte length, a
// 4-byte type, the data and a CRC-32 of type and data.
type chunkReader struct {
	rest []byte // the bytes after the last chunk read
}

// header reads the length and type of the next chunk.
func (r *chunkReader) header() (length uint32, typ string, err error) {
	if len(r.rest) < 8 {
		return 0, "", errors.New("it ends in the middle of its first chunks (is it cut short?)")
	}
	length, typ = binary.BigEndian.Uint32(r.rest[:4]), string(r.rest[4:8])
	r.rest = r.rest[4:]
	return length, typ, nil
}

// body reads the data of the chunk typ, of the given length, whose header
// was just read, and checks its CRC.
func (r *chunkReader) body(typ string, length uint32) ([]byte, error) {
	if uint64(len(r.rest)) < 4+uint64(length)+4 {
		return nil, fmt.Errorf("it ends inside its %q chunk (is it cut short?)", typ)
	}
	typeAndData := r.rest[:4+length]
	crc := binary.BigEndian.Uint32(r.rest[4+length:])
	r.rest = r.rest[4+length+4:]
	if crc32.ChecksumIEEE(typeAndData) != crc {
		return nil, fmt.Errorf("the checksum of its %q chunk is wrong (is the file damaged?)", typ)
	}
	return typeAndData[4:], nil
}
