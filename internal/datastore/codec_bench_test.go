package datastore_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// codecBlobs are 16 MiB blobs of the kinds flows store: numeric slices
// (a float64 random walk rounded as sensors report it, sequential int64s,
// float64 noise) and JSON-ish records.
func codecBlobs() map[string][]byte {
	const n = 16 << 20
	r := rand.New(rand.NewPCG(1, 2))
	walk, seq, noise := make([]byte, 0, n), make([]byte, 0, n), make([]byte, 0, n)
	x := 20.0
	for i := range n / 8 {
		x += r.NormFloat64() * 0.1
		walk = binary.LittleEndian.AppendUint64(walk, math.Float64bits(math.Round(x*100)/100))
		seq = binary.LittleEndian.AppendUint64(seq, uint64(i))
		noise = binary.LittleEndian.AppendUint64(noise, math.Float64bits(r.Float64()))
	}
	var rec bytes.Buffer
	for i := 0; rec.Len() < n; i++ {
		fmt.Fprintf(&rec, `{"id":%d,"user":"user-%d","score":%.3f,"country":"%s","tags":["t%d","t%d"],"ok":%t}`+"\n",
			i, r.IntN(100000), r.Float64()*100, []string{"FR", "DE", "US", "JP"}[r.IntN(4)], r.IntN(50), r.IntN(50), r.IntN(2) == 0)
	}
	csv := make([]byte, n)
	fillPayload(csv, 0)
	return map[string][]byte{"float64-walk": walk, "int64-seq": seq, "float64-noise": noise,
		"json-records": rec.Bytes()[:n], "csv": csv}
}

// blobCodec is a stream codec the datastore could store blobs with.
type blobCodec struct {
	name string
	enc  func(w io.Writer) io.WriteCloser
	dec  func(r io.Reader) io.Reader
}

func blobCodecs(b *testing.B) []blobCodec {
	procs := runtime.GOMAXPROCS(0)
	zenc := func(level zstd.EncoderLevel) func(io.Writer) io.WriteCloser {
		return func(w io.Writer) io.WriteCloser {
			e, err := zstd.NewWriter(w, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(procs))
			if err != nil {
				b.Fatal(err)
			}
			return e
		}
	}
	zdec := func(r io.Reader) io.Reader {
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(procs))
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	s2dec := func(r io.Reader) io.Reader { return s2.NewReader(r, s2.ReaderIgnoreCRC()) }
	return []blobCodec{
		{"s2", func(w io.Writer) io.WriteCloser { return s2.NewWriter(w, s2.WriterConcurrency(procs)) }, s2dec},
		{"s2-better", func(w io.Writer) io.WriteCloser {
			return s2.NewWriter(w, s2.WriterConcurrency(procs), s2.WriterBetterCompression())
		}, s2dec},
		{"zstd-fastest", zenc(zstd.SpeedFastest), zdec},
		{"zstd-default", zenc(zstd.SpeedDefault), zdec},
	}
}

// BenchmarkBlobCodecs compares the stream codecs of
// github.com/klauspost/compress on codecBlobs: encode and decode speed
// (MB/s of uncompressed bytes) and the stored size (ratio, stored/raw).
// The datastore stores blobs as S2 streams (blob.go says why):
//
//	go test -run XXX -bench BlobCodecs -benchtime 5x ./internal/datastore/
func BenchmarkBlobCodecs(b *testing.B) {
	blobs := codecBlobs()
	for _, kind := range []string{"float64-walk", "int64-seq", "float64-noise", "json-records", "csv"} {
		data := blobs[kind]
		for _, c := range blobCodecs(b) {
			var stored bytes.Buffer
			w := c.enc(&stored)
			if _, err := w.Write(data); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			ratio := float64(stored.Len()) / float64(len(data))
			b.Run(kind+"/"+c.name+"/encode", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				var out bytes.Buffer
				out.Grow(stored.Len() + 1<<20)
				for b.Loop() {
					out.Reset()
					w := c.enc(&out)
					if _, err := w.Write(data); err != nil {
						b.Fatal(err)
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(ratio, "ratio")
			})
			b.Run(kind+"/"+c.name+"/decode", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				got := make([]byte, len(data))
				for b.Loop() {
					if _, err := io.ReadFull(c.dec(bytes.NewReader(stored.Bytes())), got); err != nil {
						b.Fatal(err)
					}
				}
				if !bytes.Equal(got, data) {
					b.Fatal("decoded other bytes")
				}
				b.ReportMetric(ratio, "ratio")
			})
		}
	}
}
