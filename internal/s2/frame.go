package s2

import "hash/crc32"

// Chunks of the framing format: a type byte, a 3-byte little-endian
// length, then that many bytes.
const (
	chunkHeaderLen = 4
	checksumLen    = 4

	chunkCompressed   = 0x00
	chunkUncompressed = 0x01
	// Types 0x02-0x7f are reserved and unskippable; 0x80-0xfe (padding,
	// S2's index) are skipped.
	chunkMaxUnskippable = 0x7f
	chunkStreamID       = 0xff

	// streamID is S2's stream identifier body; streams in Snappy's
	// framing format carry snappyStreamID and are read alike.
	streamID       = "S2sTwO"
	snappyStreamID = "sNaPpY"

	// MaxBlockSize is the largest decoded chunk a stream may hold.
	MaxBlockSize = 4 << 20
	// BlockSize is the decoded size of the chunks the Writer makes, as
	// klauspost/compress/s2's writer does by default.
	BlockSize = 1 << 20
)

// checksum is the masked CRC-32C (Castagnoli) of p that chunks carry. The
// CRC table is built on first use (crc32.MakeTable builds it once), so a
// process that never writes a chunk nor verifies one does not build it.
func checksum(p []byte) uint32 {
	c := crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli))
	return (c>>15 | c<<17) + 0xa282ead8
}
