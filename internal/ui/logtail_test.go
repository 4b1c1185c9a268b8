package ui

import (
	"bytes"
	"io"
	"runtime"
	"testing"
)

// counting is a long stream of known bytes: byte i is i%251.
type counting struct{ pos, size int }

func (c *counting) Read(p []byte) (int, error) {
	if c.pos >= c.size {
		return 0, io.EOF
	}
	n := min(len(p), c.size-c.pos)
	for i := range n {
		p[i] = byte((c.pos + i) % 251)
	}
	c.pos += n
	return n, nil
}

// TestTail: the tail of a log is its last bytes from the offset on, read
// without holding the log: a 256 MiB log costs a few MiB (the tail, twice, and the growth of its buffer), not 256.
func TestTail(t *testing.T) {
	want := func(size, from, limit int) []byte {
		var b []byte
		for i := max(from, size-limit); i < size; i++ {
			b = append(b, byte(i%251))
		}
		return b
	}
	for _, c := range []struct{ size, offset, limit int }{
		{0, 0, 10}, {5, 0, 10}, {10, 0, 10}, {11, 0, 10}, {1000, 0, 10}, {1000, 995, 10}, {1000, 1000, 10}, {1000, 5000, 10},
		{200 << 10, 3, 100 << 10}, {200 << 10, 150 << 10, 100 << 10},
	} {
		got, size, err := tail(&counting{size: c.size}, c.offset, c.limit)
		if err != nil || size != c.size || !bytes.Equal(got, want(c.size, c.offset, c.limit)) {
			t.Errorf("tail(%d bytes, offset %d, limit %d) = %d bytes, size %d, %v", c.size, c.offset, c.limit, len(got), size, err)
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, size, err := tail(&counting{size: 256 << 20}, 0, logBytes)
	runtime.ReadMemStats(&after)
	if err != nil || size != 256<<20 || len(got) != logBytes {
		t.Fatalf("tail of 256 MiB: %d bytes, size %d, %v", len(got), size, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("tail of a 256 MiB log allocated %d MiB; it should hold only the tail", alloc>>20)
	}
}
