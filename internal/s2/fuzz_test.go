package s2_test

import (
	"bytes"
	"io"
	"testing"

	ks2 "github.com/klauspost/compress/s2"

	"github.com/stepflow/stepflow/internal/s2"
)

// maxFuzzOutput bounds what the fuzz targets decode of one input.
const maxFuzzOutput = 8 << 20

// FuzzDecode feeds arbitrary bytes to the block decoder: it must not
// panic, and it must accept exactly the blocks klauspost's decoder
// accepts, decoding them to the same bytes.
//
//	go test -run XXX -fuzz FuzzDecode -fuzztime 1m ./internal/s2/
func FuzzDecode(f *testing.F) {
	for _, data := range [][]byte{nil, text(100, 1), mixed(3000, 2), periodic(5000, 3)} {
		f.Add(s2.Encode(nil, data))
		f.Add(ks2.EncodeBetter(nil, data))
		f.Add(ks2.EncodeSnappy(nil, data))
	}
	f.Fuzz(func(t *testing.T, block []byte) {
		n, err := s2.DecodedLen(block)
		if err != nil || n > maxFuzzOutput {
			return
		}
		got, err := s2.Decode(nil, block)
		want, kerr := ks2.Decode(nil, block)
		if (err == nil) != (kerr == nil) {
			t.Fatalf("decoder says %v, klauspost says %v", err, kerr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("decoded bytes differ from klauspost's")
		}
	})
}

// FuzzReader feeds arbitrary bytes to the stream reader, checking
// checksums: it must not panic nor decode more than the format allows,
// and what it decodes without error klauspost's reader decodes (with
// checksums checked) to the same bytes.
//
//	go test -run XXX -fuzz FuzzReader -fuzztime 1m ./internal/s2/
func FuzzReader(f *testing.F) {
	for _, data := range [][]byte{nil, text(100, 1), mixed(3000, 2), periodic(70000, 3)} {
		var buf bytes.Buffer
		w := s2.NewWriter(&buf, 1)
		w.Write(data)
		w.Close()
		f.Add(bytes.Clone(buf.Bytes()))
		if len(data) == 0 {
			continue // klauspost writes an index without identifier
		}
		buf.Reset()
		kw := ks2.NewWriter(&buf, ks2.WriterSnappyCompat(), ks2.WriterAddIndex())
		kw.Write(data)
		kw.Close()
		f.Add(bytes.Clone(buf.Bytes()))
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		got, err := io.ReadAll(io.LimitReader(s2.NewReader(bytes.NewReader(stream), true), maxFuzzOutput+1))
		// Each chunk of at least 4 bytes decodes to at most MaxBlockSize.
		if len(got) > (len(stream)/4+1)*s2.MaxBlockSize {
			t.Fatalf("%d bytes decoded from %d", len(got), len(stream))
		}
		if err != nil || len(got) > maxFuzzOutput {
			return
		}
		want, kerr := io.ReadAll(ks2.NewReader(bytes.NewReader(stream)))
		if kerr != nil {
			t.Fatalf("decoded %d bytes, klauspost says %v", len(got), kerr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("decoded bytes differ from klauspost's")
		}
	})
}

// FuzzRoundTrip encodes arbitrary bytes as a block and as a stream: both
// decode, with this package and with klauspost's, to the same bytes.
//
//	go test -run XXX -fuzz FuzzRoundTrip -fuzztime 1m ./internal/s2/
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello hello hello hello hello"))
	f.Add(mixed(5000, 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		block := s2.Encode(nil, data)
		if len(block) > s2.MaxEncodedLen(len(data)) {
			t.Fatalf("%d bytes encoded in %d", len(data), len(block))
		}
		for _, dec := range []func([]byte, []byte) ([]byte, error){s2.Decode, ks2.Decode} {
			got, err := dec(nil, block)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("block round trip: %v", err)
			}
		}
		var buf bytes.Buffer
		w := s2.NewWriter(&buf, 2)
		w.Write(data)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(ks2.NewReader(bytes.NewReader(buf.Bytes())))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("stream round trip: %v", err)
		}
	})
}
