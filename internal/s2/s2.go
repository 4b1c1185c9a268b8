// Package s2 reads and writes the S2 compression format: S2 blocks
// (Snappy's block format extended with repeat offsets) and S2 streams
// (Snappy's framing format with larger chunks and the "S2sTwO" stream
// identifier). It is written from the formats' descriptions
// (github.com/google/snappy format_description.txt and framing_format.txt,
// and the "Format Extensions" of github.com/klauspost/compress/s2), so
// that what klauspost/compress/s2 wrote stays readable and what this
// package writes is readable by it, without linking that package (whose
// initialisation builds CRC tables in every process that links it).
package s2

import "errors"

var (
	// ErrCorrupt reports input that is not valid S2 data.
	ErrCorrupt = errors.New("s2: corrupt input")
	// ErrTooLarge reports a block whose decoded length is larger than
	// this package (or the platform) supports.
	ErrTooLarge = errors.New("s2: decoded block is too large")
)

// Element tags of the block format: the low two bits of an element's
// first byte.
const (
	tagLiteral = 0x00
	tagCopy1   = 0x01 // 1-byte offset; offset 0 is S2's repeat
	tagCopy2   = 0x02
	tagCopy4   = 0x03
)
