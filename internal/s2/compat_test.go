package s2_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	ks2 "github.com/klauspost/compress/s2"

	"github.com/stepflow/stepflow/internal/s2"
)

// The tests check compatibility both ways with klauspost/compress/s2,
// which stepflow used before and which is imported only by tests.

// sample is one input of the compatibility tests.
type sample struct {
	name string
	data []byte
}

// samples returns compressible, random, mixed and degenerate inputs,
// small and multi-MiB.
func samples() []sample {
	var out []sample
	for _, n := range []int{0, 1, 4, 16, 17, 63, 100, 1000, 4096, 65535, 65536, 65537, 300 << 10, 5<<20 + 3} {
		out = append(out,
			sample{fmt.Sprintf("text-%d", n), text(n, 1)},
			sample{fmt.Sprintf("random-%d", n), random(n, 2)},
			sample{fmt.Sprintf("mixed-%d", n), mixed(n, 3)},
		)
	}
	out = append(out,
		sample{"zeros-3MiB", make([]byte, 3<<20)},
		sample{"floats-2MiB", floats(2<<20, 4)},
		sample{"period-1000-1MiB", periodic(1<<20, 1000)},
		sample{"period-70000-2MiB", periodic(2<<20, 70000)},
		sample{"far-repeat-6MiB", farRepeat(6<<20, 5)},
	)
	return out
}

// text is CSV-like rows: compressible.
func text(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, 0, n+64)
	for i := 0; len(b) < n; i++ {
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, float64(r.IntN(10000))/100, 'f', 2, 64)
		b = append(b, ",sensor-"...)
		b = strconv.AppendInt(b, int64(r.IntN(16)), 10)
		b = append(b, ",ok\n"...)
	}
	return b[:n]
}

// random is incompressible.
func random(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	r.Read(b)
	return b
}

// mixed alternates random and text runs of various lengths.
func mixed(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, 0, n)
	for len(b) < n {
		k := min(n-len(b), 1+r.IntN(100<<10))
		if r.IntN(2) == 0 {
			b = append(b, random(k, r.Uint64())...)
		} else {
			b = append(b, text(k, r.Uint64())...)
		}
	}
	return b
}

// floats is a slowly varying []float64 as little-endian bytes.
func floats(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	b := make([]byte, n/8*8)
	x := 0.0
	for i := 0; i < len(b); i += 8 {
		x += math.Round(r.NormFloat64()*100) / 100
		binary.LittleEndian.PutUint64(b[i:], math.Float64bits(x))
	}
	return b
}

// periodic repeats a random pattern of length p.
func periodic(n, p int) []byte {
	pat := random(p, 9)
	b := make([]byte, n)
	for i := range b {
		b[i] = pat[i%p]
	}
	return b
}

// farRepeat is random data whose second half repeats the first: matches
// only at offsets of megabytes.
func farRepeat(n int, seed uint64) []byte {
	b := random(n/2, seed)
	return append(b, b...)
}

func TestDecodeKlauspostBlocks(t *testing.T) {
	encoders := []struct {
		name string
		fn   func(dst, src []byte) []byte
	}{
		{"Encode", ks2.Encode},
		{"EncodeBetter", ks2.EncodeBetter},
		{"EncodeBest", ks2.EncodeBest},
		{"EncodeSnappy", ks2.EncodeSnappy},
		{"EncodeSnappyBetter", ks2.EncodeSnappyBetter},
		{"EncodeSnappyBest", ks2.EncodeSnappyBest},
	}
	for _, smp := range samples() {
		for _, e := range encoders {
			enc := e.fn(nil, smp.data)
			got, err := s2.Decode(nil, enc)
			if err != nil {
				t.Fatalf("%s of %s: %v", e.name, smp.name, err)
			}
			if !bytes.Equal(got, smp.data) {
				t.Fatalf("%s of %s: decoded bytes differ", e.name, smp.name)
			}
		}
	}
}

func TestKlauspostDecodesBlocks(t *testing.T) {
	var enc s2.Encoder
	for _, smp := range samples() {
		b := enc.Encode(nil, smp.data)
		if len(b) > s2.MaxEncodedLen(len(smp.data)) {
			t.Fatalf("%s: %d bytes, more than MaxEncodedLen", smp.name, len(b))
		}
		got, err := ks2.Decode(nil, b)
		if err != nil {
			t.Fatalf("%s: klauspost: %v", smp.name, err)
		}
		if !bytes.Equal(got, smp.data) {
			t.Fatalf("%s: klauspost decoded other bytes", smp.name)
		}
		mine, err := s2.Decode(nil, b)
		if err != nil || !bytes.Equal(mine, smp.data) {
			t.Fatalf("%s: round trip: %v", smp.name, err)
		}
	}
}

// TestCompressionRatio checks that the encoder is a decent one: within
// 25% of klauspost's default block encoder (which keeps two hash tables)
// on every sample but one, where it is within 2x: a random pattern
// repeated every 70,000 bytes, matched only once the sparse probes over
// incompressible data hit a position probed one period before (klauspost's
// encoder gets there after three periods, this one after five).
func TestCompressionRatio(t *testing.T) {
	for _, smp := range samples() {
		if len(smp.data) < 4096 {
			continue
		}
		mine := len(s2.Encode(nil, smp.data))
		theirs := len(ks2.Encode(nil, smp.data))
		t.Logf("%-20s %9d bytes: mine %9d, klauspost %9d", smp.name, len(smp.data), mine, theirs)
		limit := theirs + theirs/4 + 64
		if smp.name == "period-70000-2MiB" {
			limit = 2 * theirs
		}
		if mine > limit {
			t.Errorf("%s: %d bytes, klauspost's encoder %d", smp.name, mine, theirs)
		}
	}
}

func TestReadKlauspostStreams(t *testing.T) {
	options := []struct {
		name string
		opts []ks2.WriterOption
	}{
		{"default", nil},
		{"concurrency-1", []ks2.WriterOption{ks2.WriterConcurrency(1)}},
		{"concurrency-4", []ks2.WriterOption{ks2.WriterConcurrency(4)}},
		{"better", []ks2.WriterOption{ks2.WriterBetterCompression()}},
		{"best", []ks2.WriterOption{ks2.WriterBestCompression(), ks2.WriterConcurrency(1)}},
		{"snappy", []ks2.WriterOption{ks2.WriterSnappyCompat()}},
		{"snappy-best", []ks2.WriterOption{ks2.WriterSnappyCompat(), ks2.WriterBestCompression()}},
		{"uncompressed", []ks2.WriterOption{ks2.WriterUncompressed()}},
		{"4MiB-blocks", []ks2.WriterOption{ks2.WriterBlockSize(4 << 20)}},
		{"index-padding", []ks2.WriterOption{ks2.WriterAddIndex(), ks2.WriterPadding(4096)}},
	}
	for _, smp := range samples() {
		for _, o := range options {
			if len(smp.data) == 0 && o.name == "index-padding" {
				// An index without a stream identifier, which
				// klauspost's reader refuses too.
				continue
			}
			for _, encodeBuffer := range []bool{false, true} {
				var buf bytes.Buffer
				w := ks2.NewWriter(&buf, o.opts...)
				var err error
				if encodeBuffer {
					err = w.EncodeBuffer(smp.data)
				} else {
					_, err = w.Write(smp.data)
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(s2.NewReader(bytes.NewReader(buf.Bytes()), true))
				if err != nil {
					t.Fatalf("%s written by klauspost (%s, EncodeBuffer %v): %v", smp.name, o.name, encodeBuffer, err)
				}
				if !bytes.Equal(got, smp.data) {
					t.Fatalf("%s written by klauspost (%s, EncodeBuffer %v): decoded bytes differ", smp.name, o.name, encodeBuffer)
				}
			}
		}
	}
}

func TestKlauspostReadsStreams(t *testing.T) {
	for _, smp := range samples() {
		for _, conc := range []int{1, 2, 8} {
			for _, how := range []string{"Write", "EncodeBuffer", "parts"} {
				var buf bytes.Buffer
				w := s2.NewWriter(&buf, conc)
				switch how {
				case "Write":
					if _, err := w.Write(smp.data); err != nil {
						t.Fatal(err)
					}
				case "EncodeBuffer":
					if err := w.EncodeBuffer(smp.data); err != nil {
						t.Fatal(err)
					}
				case "parts":
					// Small and large parts in turn, as artifacts are.
					for _, p := range split(smp.data) {
						if err := w.EncodeBuffer(p); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%s (concurrency %d, %s)", smp.name, conc, how)
				got, err := io.ReadAll(ks2.NewReader(bytes.NewReader(buf.Bytes())))
				if err != nil {
					t.Fatalf("%s: klauspost: %v", name, err)
				}
				if !bytes.Equal(got, smp.data) {
					t.Fatalf("%s: klauspost decoded other bytes", name)
				}
				got, err = io.ReadAll(s2.NewReader(bytes.NewReader(buf.Bytes()), true))
				if err != nil || !bytes.Equal(got, smp.data) {
					t.Fatalf("%s: round trip: %v", name, err)
				}
			}
		}
	}
}

// split cuts b into parts of sizes from a few bytes to a few MiB.
func split(b []byte) [][]byte {
	sizes := []int{7, 100 << 10, 3, 40 << 10, 2<<20 + 5, 1}
	var parts [][]byte
	for i := 0; len(b) > 0; i++ {
		n := min(len(b), sizes[i%len(sizes)])
		parts = append(parts, b[:n])
		b = b[n:]
	}
	return parts
}
