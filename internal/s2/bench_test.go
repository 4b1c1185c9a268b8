package s2_test

import (
	"bytes"
	"io"
	"testing"

	ks2 "github.com/klauspost/compress/s2"

	"github.com/stepflow/stepflow/internal/s2"
)

// BenchmarkBlock encodes and decodes 1 MiB blocks (the Writer's chunk) of
// compressible and incompressible data, with this package and, for
// comparison, klauspost/compress/s2 (assembly on amd64).
//
//	go test -run XXX -bench Block -count 3 ./internal/s2/
func BenchmarkBlock(b *testing.B) {
	for _, smp := range []sample{{"text", text(1<<20, 1)}, {"random", random(1<<20, 2)}, {"floats", floats(1<<20, 3)}} {
		var enc s2.Encoder
		dst := make([]byte, s2.MaxEncodedLen(len(smp.data)))
		b.Run("encode/"+smp.name, func(b *testing.B) {
			b.SetBytes(int64(len(smp.data)))
			for b.Loop() {
				enc.Encode(dst, smp.data)
			}
		})
		b.Run("encode-klauspost/"+smp.name, func(b *testing.B) {
			b.SetBytes(int64(len(smp.data)))
			for b.Loop() {
				ks2.Encode(dst, smp.data)
			}
		})
		block := s2.Encode(nil, smp.data)
		out := make([]byte, len(smp.data))
		b.Run("decode/"+smp.name, func(b *testing.B) {
			b.SetBytes(int64(len(smp.data)))
			for b.Loop() {
				if _, err := s2.Decode(out, block); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decode-klauspost/"+smp.name, func(b *testing.B) {
			b.SetBytes(int64(len(smp.data)))
			for b.Loop() {
				if _, err := ks2.Decode(out, block); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStream writes and reads a 16 MiB stream of text through
// io.Discard, on two goroutines.
func BenchmarkStream(b *testing.B) {
	data := text(16<<20, 1)
	var buf bytes.Buffer
	b.Run("write", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			buf.Reset()
			w := s2.NewWriter(&buf, 2)
			w.EncodeBuffer(data)
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		out := make([]byte, 4<<20)
		for b.Loop() {
			r := s2.NewReader(bytes.NewReader(buf.Bytes()), false)
			for {
				_, err := io.ReadFull(r, out)
				if err == io.EOF {
					break
				}
				if err != nil && err != io.ErrUnexpectedEOF {
					b.Fatal(err)
				}
			}
		}
	})
}
