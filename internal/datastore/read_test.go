package datastore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

// countingBackend counts the Read calls on the objects it loads; its
// readers are Sizers only when the wrapped backend's are and sized is set.
type countingBackend struct {
	datastore.Backend
	sized bool
	reads int
}

func (c *countingBackend) Load(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, err := c.Backend.Load(ctx, name)
	if err != nil {
		return nil, err
	}
	r := &countingReader{ReadCloser: rc, reads: &c.reads}
	if sz, ok := rc.(datastore.Sizer); ok && c.sized {
		return sizedReader{r, sz}, nil
	}
	return r, nil
}

type countingReader struct {
	io.ReadCloser
	reads *int
}

func (r *countingReader) Read(p []byte) (int, error) {
	*r.reads++
	return r.ReadCloser.Read(p)
}

type sizedReader struct {
	*countingReader
	datastore.Sizer
}

// TestReadKnownSize: a record or small blob whose reader knows its size
// (the local backend's) is read in one Read; without a size, it is read
// to its end all the same.
func TestReadKnownSize(t *testing.T) {
	ctx := context.Background()
	for _, sized := range []bool{true, false} {
		lb, err := local.New(t.TempDir(), local.Options{})
		if err != nil {
			t.Fatal(err)
		}
		b := &countingBackend{Backend: lb, sized: sized}
		s := datastore.NewStore(b, "Flow")
		now := time.Now().UTC().Round(0)
		// A record longer than io.ReadAll's first 512 bytes.
		a := datastore.Attempt{Run: "1", Step: "start", Task: "0", Status: datastore.StatusSucceeded, Start: now, End: now,
			Env: map[string]string{"LONG": string(bytes.Repeat([]byte("x"), 2000))}}
		if err := s.Attempts().Put(ctx, a); err != nil {
			t.Fatal(err)
		}
		b.reads = 0
		got, err := s.Attempts().Get(ctx, "1", "start", "0", 0)
		if err != nil || got.Env["LONG"] != a.Env["LONG"] {
			t.Fatalf("sized=%v: Attempt = %+v, %v", sized, got, err)
		}
		if sized && b.reads != 1 {
			t.Errorf("reading a record of known size took %d reads, want 1", b.reads)
		}
		for _, data := range [][]byte{[]byte("HELLO, WORLD!"), bytes.Repeat([]byte("compressible "), 1000), nil} {
			h, err := s.Blobs().Put(ctx, data)
			if err != nil {
				t.Fatal(err)
			}
			b.reads = 0
			if err := s.Blobs().Verify(ctx, h); err != nil {
				t.Fatalf("sized=%v: Blobs.Verify(%d bytes): %v", sized, len(data), err)
			}
			if sized && b.reads != 1 {
				t.Errorf("verifying a blob of %d bytes of known size took %d reads, want 1", len(data), b.reads)
			}
			if got, err := s.Blobs().Get(ctx, h); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("sized=%v: Blobs.Get(%d bytes) = %d bytes, %v", sized, len(data), len(got), err)
			}
		}
	}
}

// TestVerifySmallBlobDamage: a small blob read whole is still checked:
// trailing bytes, a cut and a changed byte are each reported as corrupt.
func TestVerifySmallBlobDamage(t *testing.T) {
	ctx := context.Background()
	for name, damage := range map[string]func([]byte) []byte{
		"trailing": func(b []byte) []byte { return append(b, 'x') },
		"cut":      func(b []byte) []byte { return b[:len(b)-1] },
		"changed":  func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
	} {
		s, dir := newStore(t)
		h, err := s.Blobs().Put(ctx, []byte("HELLO, WORLD!"))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "Flow", "blobs", h[:2], h)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, damage(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.Blobs().Verify(ctx, h); !errors.Is(err, datastore.ErrCorrupt) {
			t.Errorf("%s: Blobs.Verify = %v, want ErrCorrupt", name, err)
		}
	}
}

// savingBackend records the readers it is given to save.
type savingBackend struct {
	datastore.Backend
	readers []io.Reader
}

func (b *savingBackend) Save(ctx context.Context, name string, rd io.Reader) error {
	b.readers = append(b.readers, rd)
	return b.Backend.Save(ctx, name, rd)
}

// TestPutSmallBlobInMemory: a small new blob and a record reach the
// backend as bytes in memory (one write on a local disk, one request of
// known length on S3); a large blob is streamed.
func TestPutSmallBlobInMemory(t *testing.T) {
	ctx := context.Background()
	lb, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := &savingBackend{Backend: lb}
	s := datastore.NewStore(b, "Flow")
	small := []byte("HELLO, WORLD!")
	h, err := s.Blobs().PutParts(ctx, [][]byte{small[:5], small[5:]})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.readers) != 1 {
		t.Fatalf("Blobs.PutParts saved %d objects, want 1", len(b.readers))
	}
	if _, ok := b.readers[0].(*bytes.Reader); !ok {
		t.Errorf("a small blob was saved from a %T, want a *bytes.Reader", b.readers[0])
	}
	if got, err := s.Blobs().Get(ctx, h); err != nil || !bytes.Equal(got, small) {
		t.Fatalf("Blobs.Get = %q, %v", got, err)
	}
	large := make([]byte, 100<<10)
	for i := range large {
		large[i] = byte(i * 7919 >> 3) // not all zero; stored raw or not, it is streamed
	}
	b.readers = nil
	if _, err := s.Blobs().Put(ctx, large); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.readers[0].(*bytes.Reader); ok {
		t.Error("a 100 KiB blob was joined into one buffer, want it streamed")
	}
}
