package s2_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stepflow/stepflow/internal/s2"
)

// TestDecodeRepeat decodes hand-made blocks with S2's repeat element in
// each of its length forms, checked against the format's table.
func TestDecodeRepeat(t *testing.T) {
	for _, tc := range []struct {
		name   string
		repeat []byte // the repeat element
		length int
	}{
		{"4", []byte{0<<2 | 1, 0}, 4},
		{"8", []byte{4<<2 | 1, 0}, 8},
		{"8+200", []byte{5<<2 | 1, 0, 200}, 208},
		{"260+1000", []byte{6<<2 | 1, 0, 0xe8, 0x03}, 1260},
		{"65540+70000", []byte{7<<2 | 1, 0, 0x70, 0x11, 0x01}, 65540 + 70000},
	} {
		// "abc" literal, copy offset 3 length 4, then the repeat.
		body := append([]byte{2 << 2, 'a', 'b', 'c', 0<<2 | 1, 3}, tc.repeat...)
		n := 3 + 4 + tc.length
		block := append(uvarint(n), body...)
		got, err := s2.Decode(nil, block)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := bytes.Repeat([]byte("abc"), n/3+1)[:n]
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: got %q...", tc.name, got[:min(len(got), 20)])
		}
	}
}

func uvarint(n int) []byte {
	var b []byte
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

// TestDecodeCorrupt checks that invalid blocks give ErrCorrupt.
func TestDecodeCorrupt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		block []byte
	}{
		{"empty", nil},
		{"bad varint", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"length over 32 bits", []byte{0x80, 0x80, 0x80, 0x80, 0x10}},
		{"literal past input", []byte{5, 4 << 2, 'a'}},
		{"literal past output", []byte{1, 1 << 2, 'a', 'b'}},
		{"literal length cut", []byte{5, 61 << 2, 4}},
		{"repeat first", []byte{8, 0<<2 | 1, 0, 1, 2, 3, 4}},
		{"repeat first, 4-byte literal before", []byte{8, 3 << 2, 'a', 'b', 'c', 'd', 0<<2 | 1, 0}},
		{"copy before data", []byte{4, 0<<2 | 1, 1}},
		{"copy offset past start", []byte{6, 0, 'a', 0<<2 | 1, 2}},
		{"copy2 offset 0", []byte{5, 0, 'a', 3<<2 | 2, 0, 0}},
		{"copy4 offset 0", []byte{5, 0, 'a', 3<<2 | 3, 0, 0, 0, 0}},
		{"copy4 huge offset", []byte{5, 0, 'a', 3<<2 | 3, 0xff, 0xff, 0xff, 0xff}},
		{"copy past output", []byte{3, 0, 'a', 3<<2 | 2, 1, 0}},
		{"copy cut", []byte{5, 0, 'a', 3<<2 | 2, 1}},
		{"repeat length cut", []byte{20, 0, 'a', 0<<2 | 1, 1, 7<<2 | 1, 0, 1}},
		{"short output", []byte{3, 0, 'a'}},
		{"long output", []byte{1, 1 << 2, 'a', 'b'}},
	} {
		if _, err := s2.Decode(nil, tc.block); !errors.Is(err, s2.ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", tc.name, err)
		}
	}
}

// TestDecodeTruncatedAndFlipped decodes every prefix of valid blocks and
// the blocks with single bits flipped: never a panic, and a shortened
// block is always refused.
func TestDecodeTruncatedAndFlipped(t *testing.T) {
	for _, data := range [][]byte{text(3000, 1), mixed(5000, 2), periodic(4000, 7), make([]byte, 300)} {
		block := s2.Encode(nil, data)
		for n := range len(block) {
			if _, err := s2.Decode(nil, block[:n]); err == nil {
				t.Fatalf("a block cut to %d of %d bytes decoded", n, len(block))
			}
		}
		dst := make([]byte, len(data), len(data)+16) // Decode must not write past len
		for i := range len(block) * 8 {
			b := bytes.Clone(block)
			b[i/8] ^= 1 << (i % 8)
			for j := range cap(dst) {
				dst[:cap(dst)][j] = 0xaa
			}
			if n, err := s2.DecodedLen(b); err != nil || n != len(data) {
				continue
			}
			s2.Decode(dst, b)
			for _, c := range dst[len(data):cap(dst)] {
				if c != 0xaa {
					t.Fatalf("Decode wrote past the declared length")
				}
			}
		}
	}
}

// TestEncodeLongMatches checks the encoder's copies and repeats of every
// form, against the decoder and MaxEncodedLen.
func TestEncodeLongMatches(t *testing.T) {
	for _, n := range []int{17, 64, 65, 68, 69, 100, 263, 264, 265, 65799, 65800, 65801, 17<<20 + 100} {
		for _, p := range []int{1, 3, 100, 2047, 2048, 70000} {
			data := periodic(n+p, p)
			block := s2.Encode(nil, data)
			if len(block) > s2.MaxEncodedLen(len(data)) {
				t.Fatalf("n %d p %d: %d bytes, MaxEncodedLen %d", n, p, len(block), s2.MaxEncodedLen(len(data)))
			}
			got, err := s2.Decode(nil, block)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("n %d p %d: round trip: %v", n, p, err)
			}
		}
	}
}
