package s2_test

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stepflow/stepflow/internal/s2"
)

func compress(t *testing.T, data []byte, concurrency int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := s2.NewWriter(&buf, concurrency)
	if err := w.EncodeBuffer(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReaderSmallReads reads a stream a few bytes at a time.
func TestReaderSmallReads(t *testing.T) {
	data := mixed(3<<20, 1)
	stream := compress(t, data, 2)
	got, err := io.ReadAll(iotest.HalfReader(s2.NewReader(iotest.OneByteReader(bytes.NewReader(stream)), true)))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	// iotest.TestReader checks the io.Reader contract on a short stream.
	small := text(200<<10, 2)
	if err := iotest.TestReader(s2.NewReader(bytes.NewReader(compress(t, small, 1)), true), small); err != nil {
		t.Fatal(err)
	}
}

// TestReaderDamage checks that a cut or altered stream is refused with
// ErrCorrupt (and io.ErrUnexpectedEOF when cut inside a chunk), that a
// damaged checksum is noticed only when checked, and that the source's
// own errors come back as they are.
func TestReaderDamage(t *testing.T) {
	data := text(2<<20+100, 3)
	stream := compress(t, data, 2)
	read := func(b []byte, verify bool) error {
		_, err := io.Copy(io.Discard, s2.NewReader(bytes.NewReader(b), verify))
		return err
	}
	// Cut after the identifier (10 bytes), it is an empty stream.
	for _, n := range []int{1, 5, 9, 13, 100, len(stream) / 2, len(stream) - 1} {
		err := read(stream[:n], false)
		if !errors.Is(err, s2.ErrCorrupt) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut to %d bytes: %v", n, err)
		}
	}
	if err := read(nil, true); err != nil {
		t.Errorf("empty input: %v", err)
	}
	bad := bytes.Clone(stream)
	copy(bad[4:], "S3sTwO")
	if err := read(bad, false); !errors.Is(err, s2.ErrCorrupt) {
		t.Errorf("unknown identifier: %v", err)
	}
	bad = bytes.Clone(stream)
	bad[10+4] ^= 1 // the first chunk's checksum
	if err := read(bad, false); err != nil {
		t.Errorf("damaged checksum, not verified: %v", err)
	}
	if err := read(bad, true); !errors.Is(err, s2.ErrCorrupt) {
		t.Errorf("damaged checksum, verified: %v", err)
	}
	bad = bytes.Clone(stream)
	bad[10] = 0x02 // an unskippable reserved chunk type
	if err := read(bad, false); !errors.Is(err, s2.ErrCorrupt) {
		t.Errorf("reserved chunk: %v", err)
	}
	bad = append([]byte{0x00, 4, 0, 0, 0, 0, 0, 0}, stream...)
	if err := read(bad, false); !errors.Is(err, s2.ErrCorrupt) {
		t.Errorf("data before the identifier: %v", err)
	}
	// A skippable chunk is skipped, and streams may be concatenated.
	two := append(append(bytes.Clone(stream), 0x80, 3, 0, 0, 1, 2, 3), stream...)
	got, err := io.ReadAll(s2.NewReader(bytes.NewReader(two), true))
	if err != nil || !bytes.Equal(got, append(bytes.Clone(data), data...)) {
		t.Errorf("concatenated streams: %d bytes, %v", len(got), err)
	}
	errSource := errors.New("source failed")
	r := s2.NewReader(io.MultiReader(bytes.NewReader(stream[:1000]), iotest.ErrReader(errSource)), false)
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, errSource) || errors.Is(err, s2.ErrCorrupt) {
		t.Errorf("source error: %v", err)
	}
}

// TestWriterChecksums checks that chunks carry the masked CRC-32C of
// their data, as the framing format defines it.
func TestWriterChecksums(t *testing.T) {
	data := text(100, 1)
	stream := compress(t, data, 1)
	c := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	want := (c>>15 | c<<17) + 0xa282ead8
	got := uint32(stream[14]) | uint32(stream[15])<<8 | uint32(stream[16])<<16 | uint32(stream[17])<<24
	if got != want {
		t.Fatalf("checksum %#x, want %#x", got, want)
	}
	if string(stream[:10]) != "\xff\x06\x00\x00S2sTwO" {
		t.Fatalf("stream starts %q", stream[:10])
	}
}

// TestWriterIncompressible checks that data that does not compress is
// stored in uncompressed chunks, a few bytes larger than itself.
func TestWriterIncompressible(t *testing.T) {
	data := random(3<<20, 1)
	stream := compress(t, data, 2)
	if over := len(stream) - len(data); over < 0 || over > 10+3*8 {
		t.Fatalf("%d bytes of random data took %d", len(data), len(stream))
	}
	if stream[10] != 0x01 {
		t.Fatalf("first chunk of type %#x, want uncompressed", stream[10])
	}
}

// TestWriterKeepsBuffers checks that EncodeBuffer neither modifies nor
// keeps using the caller's slices once Close returns (run with -race,
// a write to them would be reported too).
func TestWriterKeepsBuffers(t *testing.T) {
	parts := split(mixed(9<<20, 4))
	var clones [][]byte
	for _, p := range parts {
		clones = append(clones, bytes.Clone(p))
	}
	var buf bytes.Buffer
	w := s2.NewWriter(&buf, 4)
	for _, p := range parts {
		if err := w.EncodeBuffer(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for i, p := range parts {
		if !bytes.Equal(p, clones[i]) {
			t.Fatalf("part %d was modified", i)
		}
		for j := range p {
			p[j] = 0 // a data race if the writer still read it
		}
	}
	got, err := io.ReadAll(s2.NewReader(&buf, true))
	if err != nil || !bytes.Equal(got, bytes.Join(clones, nil)) {
		t.Fatalf("round trip: %v", err)
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

var errFull = errors.New("destination full")

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errFull
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriterError checks that an error of the destination stops the
// Writer (later calls report it, Close too) without blocking it.
func TestWriterError(t *testing.T) {
	for _, limit := range []int{0, 5, 100, 3 << 20} {
		w := s2.NewWriter(&failWriter{n: limit}, 2)
		data := text(1<<20, 5)
		var err error
		for i := 0; i < 20 && err == nil; i++ {
			err = w.EncodeBuffer(data)
		}
		if cerr := w.Close(); !errors.Is(cerr, errFull) {
			t.Fatalf("limit %d: Close: %v", limit, cerr)
		}
		if err := w.EncodeBuffer(data); err == nil {
			t.Fatalf("limit %d: EncodeBuffer after Close succeeded", limit)
		}
	}
}

// TestWriterEmpty checks that an empty stream is one identifier, which
// reads as no bytes.
func TestWriterEmpty(t *testing.T) {
	stream := compress(t, nil, 1)
	if string(stream) != "\xff\x06\x00\x00S2sTwO" {
		t.Fatalf("empty stream %q", stream)
	}
	got, err := io.ReadAll(s2.NewReader(bytes.NewReader(stream), true))
	if err != nil || len(got) != 0 {
		t.Fatalf("got %q, %v", got, err)
	}
}
