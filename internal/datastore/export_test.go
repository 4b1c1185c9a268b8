package datastore

import (
	"bytes"
	"hash"
)

// EncodeBlobS2 returns the stored form of data compressed with s2,
// whatever its size, for tests of the read path: Blobs.Put stores a blob
// under compressMin raw.
func EncodeBlobS2(data []byte) []byte {
	var b bytes.Buffer
	if err := writePayload(&b, codecS2, int64(len(data)), [][]byte{data}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// NewTreeHash returns the streaming TreeHash of size bytes, as the
// verifying readers use it.
func NewTreeHash(size int64) hash.Hash { return newTreeHash(size) }
