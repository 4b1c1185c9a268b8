package readlimit

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// endless is a stream that never ends, counting what was read from it.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n += int64(len(p))
	return len(p), nil
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.json")
	if err := os.WriteFile(small, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := File(small, 10); err != nil || string(got) != "0123456789" {
		t.Errorf("File at the limit = %q, %v", got, err)
	}
	var tl *TooLargeError
	if _, err := File(small, 9); !errors.As(err, &tl) || tl.Size != 10 || !strings.Contains(err.Error(), "small.json is 10 bytes, more than the 9 bytes allowed") {
		t.Errorf("File over the limit = %v", err)
	}
	big := filepath.Join(dir, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil { // sparse: refused by its size, nothing read
		t.Fatal(err)
	}
	f.Close()
	if _, err := File(big, 10<<20); !errors.As(err, &tl) || !strings.Contains(err.Error(), "more than the 10 MiB allowed") {
		t.Errorf("File of 1 TiB = %v", err)
	}
	if _, err := File(dir, 10); !errors.Is(err, ErrDirectory) {
		t.Errorf("File of a directory = %v", err)
	}
	if _, err := File(filepath.Join(dir, "missing"), 10); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("File of a missing file = %v", err)
	}
	// A device without a size ends only at the limit.
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Fatalf("this test needs /dev/zero: %v", err)
	}
	if _, err := File("/dev/zero", 1<<20); !errors.As(err, &tl) || tl.Size != -1 || !strings.Contains(err.Error(), "/dev/zero holds more than the 1 MiB allowed") {
		t.Errorf("File(/dev/zero) = %v", err)
	}
}

func TestAll(t *testing.T) {
	e := &endless{}
	var tl *TooLargeError
	if _, err := All(e, "standard input", 1000); !errors.As(err, &tl) {
		t.Fatalf("All of an endless stream = %v", err)
	}
	if e.n > 1<<20 {
		t.Errorf("read %d bytes of an endless stream with a limit of 1000", e.n)
	}
	if got, err := All(io.LimitReader(e, 1000), "s", 1000); err != nil || len(got) != 1000 {
		t.Errorf("All at the limit = %d bytes, %v", len(got), err)
	}
}
