package datastore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"

	ks2 "github.com/klauspost/compress/s2"

	"github.com/stepflow/stepflow/internal/datastore"
)

// Blobs compressed by stepflow binaries that linked
// github.com/klauspost/compress/s2 must stay readable, and the blobs of
// this one readable by those: the tests write and read the format with
// that package (imported by tests only) and hash/crc32.

// oldBlob is blob data as earlier binaries stored it: the header, with
// its CRC-32C, and klauspost's s2 stream.
func oldBlob(t *testing.T, data []byte) []byte {
	t.Helper()
	h := make([]byte, 20)
	copy(h, "SFB1")
	h[4] = 1 // s2
	binary.LittleEndian.PutUint64(h[8:], uint64(len(data)))
	binary.LittleEndian.PutUint32(h[16:], crc32.Checksum(h[:16], crc32.MakeTable(crc32.Castagnoli)))
	buf := bytes.NewBuffer(h)
	w := ks2.NewWriter(buf, ks2.WriterConcurrency(2))
	if err := w.EncodeBuffer(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// blobFormatData is compressible and mixed data, over several chunks.
func blobFormatData() [][]byte {
	text := bytes.Repeat([]byte("0,12.5,sensor-3,ok\n1,99.25,sensor-11,ok\n"), 1<<16)
	mixed := make([]byte, 6<<20)
	fillPayload(mixed, 0.4)
	return [][]byte{text[:600], text, mixed}
}

func TestReadBlobsOfEarlierBinaries(t *testing.T) {
	ctx := context.Background()
	for _, data := range blobFormatData() {
		hash := datastore.BlobHash(data)
		m := memBackend{"F/blobs/" + hash[:2] + "/" + hash: oldBlob(t, data)}
		s := datastore.NewStore(m, "F")
		got, err := s.Blobs().Get(ctx, hash)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Blobs.Get of %d bytes: %v", len(data), err)
		}
		rc, n, err := s.Blobs().Open(ctx, hash)
		if err != nil || n != int64(len(data)) {
			t.Fatalf("Blobs.Open: %d, %v", n, err)
		}
		got, err = io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Blobs.Open of %d bytes: %v", len(data), err)
		}
	}
}

func TestEarlierBinariesReadBlobs(t *testing.T) {
	ctx := context.Background()
	for _, data := range blobFormatData() {
		m := memBackend{}
		s := datastore.NewStore(m, "F")
		hash, err := s.Blobs().PutParts(ctx, [][]byte{data[:len(data)/3], data[len(data)/3:]})
		if err != nil {
			t.Fatal(err)
		}
		stored := m["F/blobs/"+hash[:2]+"/"+hash]
		h := stored[:20]
		// Under 256 KiB a blob is stored raw (codec 0), which earlier
		// binaries read as well; above, compressed (codec 1).
		codec := byte(1)
		if len(data) < 256<<10 {
			codec = 0
		}
		if string(h[:4]) != "SFB1" || h[4] != codec || binary.LittleEndian.Uint64(h[8:]) != uint64(len(data)) {
			t.Fatalf("header %x, want codec %d", h, codec)
		}
		if crc32.Checksum(h[:16], crc32.MakeTable(crc32.Castagnoli)) != binary.LittleEndian.Uint32(h[16:]) {
			t.Fatalf("header checksum is not the CRC-32C of the header")
		}
		if codec == 0 {
			if !bytes.Equal(stored[20:], data) {
				t.Fatalf("raw blob of %d bytes stored other bytes", len(data))
			}
			continue
		}
		if len(stored) >= len(data) {
			t.Fatalf("%d bytes stored as %d", len(data), len(stored))
		}
		// klauspost's reader checks the chunks' CRCs (stepflow ignores them).
		got, err := io.ReadAll(ks2.NewReader(bytes.NewReader(stored[20:])))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("klauspost's reader of %d bytes: %v", len(data), err)
		}
	}
}
