package datastore_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stepflow/stepflow/internal/benchcpu"
	"github.com/stepflow/stepflow/internal/datastore"
)

// inputFile writes size bytes of fillPayload(randomFrac) to dir/name and
// returns its path and content: the input of a file-blob test.
func inputFile(t testing.TB, dir, name string, size int, randomFrac float64) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	fillPayload(data, randomFrac)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// fillPayload fills b with a realistic artifact: the first randomFrac of it
// is random bytes (like already-compressed or float noise data) and the rest
// is CSV-like text (row number, a 2-decimal measurement, a sensor name).
func fillPayload(b []byte, randomFrac float64) {
	src := rand.NewChaCha8([32]byte{7})
	r := rand.New(src)
	n := int(float64(len(b)) * randomFrac)
	var buf [8]byte
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(buf[:], src.Uint64())
		copy(b[i:n], buf[:])
	}
	line := make([]byte, 0, 64)
	for i, off := 0, n; off < len(b); i++ {
		line = strconv.AppendInt(line[:0], int64(i), 10)
		line = append(line, ',')
		line = strconv.AppendFloat(line, float64(r.Uint64N(10000))/100, 'f', 2, 64)
		line = append(line, ",sensor-"...)
		line = strconv.AppendUint(line, r.Uint64N(16), 10)
		line = append(line, ",ok\n"...)
		off += copy(b[off:], line)
	}
}

const size256 = 256 << 20

var payload256 []byte

func payload(b *testing.B) []byte {
	if payload256 == nil {
		payload256 = make([]byte, size256)
		fillPayload(payload256, 0.5)
	}
	return payload256
}

// BenchmarkPlainWrite256MiB is the baseline: os.WriteFile of the payload.
func BenchmarkPlainWrite256MiB(b *testing.B) {
	data := payload(b)
	dir := b.TempDir()
	b.SetBytes(size256)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveLoad256MiB is Blobs.Put followed by Blobs.Get of the payload into
// a fresh store each iteration (so Blobs.Put really writes).
func BenchmarkSaveLoad256MiB(b *testing.B) {
	benchSaveLoad(b, true, true)
}

// BenchmarkSave256MiB and BenchmarkLoad256MiB split the pair.
func BenchmarkSave256MiB(b *testing.B) { benchSaveLoad(b, true, false) }

func BenchmarkLoad256MiB(b *testing.B) { benchSaveLoad(b, false, true) }

func benchSaveLoad(b *testing.B, save, load bool) {
	benchBlob(b, payload(b), save, load)
}

// BenchmarkBlob64MiB is Blobs.Put (save) and Blobs.Get (load) of 64 MiB of
// compressible data (text: CSV-like rows, which s2 stores in about 40%)
// and of incompressible data (random: stored raw after a sample).
//
//	go test -run XXX -bench Blob64MiB -count 3 ./internal/datastore/
func BenchmarkBlob64MiB(b *testing.B) {
	for _, kind := range []struct {
		name       string
		randomFrac float64
	}{{"text", 0}, {"random", 1}} {
		data := make([]byte, 64<<20)
		fillPayload(data, kind.randomFrac)
		b.Run(kind.name+"/save", func(b *testing.B) { benchBlob(b, data, true, false) })
		b.Run(kind.name+"/load", func(b *testing.B) { benchBlob(b, data, false, true) })
	}
}

// benchBlob is Blobs.Put (save) and Blobs.Get (load) of data, each save into
// a fresh store (so Blobs.Put really writes).
func benchBlob(b *testing.B, data []byte, save, load bool) {
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	s, _ := newStore(b)
	hash, err := "", error(nil)
	if !save {
		if hash, err = s.Blobs().Put(ctx, data); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if save {
			b.StopTimer()
			s, _ = newStore(b)
			b.StartTimer()
			if hash, err = s.Blobs().Put(ctx, data); err != nil {
				b.Fatal(err)
			}
		}
		if load {
			got, err := s.Blobs().Get(ctx, hash)
			if err != nil || len(got) != len(data) {
				b.Fatal(len(got), err)
			}
		}
	}
	b.StopTimer()
	stored, err := s.Backend().Stat(ctx, "Flow/blobs/"+hash[:2]+"/"+hash)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(stored)/float64(len(data)), "stored/raw")
}

const size1G = 1 << 30

func bigFile(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "big")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 16<<20)
	fillPayload(chunk, 1)
	for range size1G / len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkFile1GiB is what a File artifact costs a user: one step stores
// a 1 GiB file (Blobs.PutFile), the next opens it as File.Open does
// (Blobs.OpenFile: on a local datastore the blob's own file, not hashed
// again) and reads it to the end. BenchmarkCopy1GiB is the baseline, the
// same with a plain copy of the file (io.Copy file to file: the kernel's
// copy_file_range) read to the end. Both start from the source file in the
// page cache (written just before) and write into the page cache of the
// same filesystem; neither syncs. BenchmarkFilePut1GiB and
// BenchmarkFileOpen1GiB split the first pair; BenchmarkFileVerified1GiB
// reads with Blobs.Open instead, verified against the SHA-256 as a read
// from S3 is. -benchmem shows memory stays flat.
//
//	go test -run XXX -bench 1GiB -benchtime 2x -benchmem ./internal/datastore/
func BenchmarkFile1GiB(b *testing.B) { benchFile(b, true, (*datastore.Blobs).OpenFile) }

func BenchmarkFilePut1GiB(b *testing.B) { benchFile(b, true, nil) }

func BenchmarkFileOpen1GiB(b *testing.B) { benchFile(b, false, (*datastore.Blobs).OpenFile) }

func BenchmarkFileVerified1GiB(b *testing.B) { benchFile(b, true, (*datastore.Blobs).Open) }

type opener func(*datastore.Blobs, context.Context, string) (io.ReadCloser, int64, error)

func benchFile(b *testing.B, put bool, open opener) {
	src := bigFile(b)
	ctx := context.Background()
	b.SetBytes(size1G)
	s, _ := newStore(b)
	h, _, err := "", int64(0), error(nil)
	if !put {
		if h, _, err = s.Blobs().PutFile(ctx, src); err != nil {
			b.Fatal(err)
		}
	}
	defer benchcpu.Report(b)()
	for b.Loop() {
		if put {
			b.StopTimer()
			s, _ = newStore(b)
			b.StartTimer()
			if h, _, err = s.Blobs().PutFile(ctx, src); err != nil {
				b.Fatal(err)
			}
		}
		if open != nil {
			rc, _, err := open(s.Blobs(), ctx, h)
			if err != nil {
				b.Fatal(err)
			}
			if err := drain(rc, size1G); err != nil {
				b.Fatal(err)
			}
			rc.Close()
		}
	}
}

func BenchmarkCopy1GiB(b *testing.B) {
	src := bigFile(b)
	b.SetBytes(size1G)
	defer benchcpu.Report(b)()
	for b.Loop() {
		b.StopTimer()
		out := filepath.Join(b.TempDir(), "out")
		b.StartTimer()
		f, err := os.Open(src)
		if err != nil {
			b.Fatal(err)
		}
		if err := copyTo(out, f); err != nil {
			b.Fatal(err)
		}
		f.Close()
		g, err := os.Open(out)
		if err != nil {
			b.Fatal(err)
		}
		if err := drain(g, size1G); err != nil {
			b.Fatal(err)
		}
		g.Close()
	}
}

// drain reads r to its end in 1 MiB reads, as a consumer of a large file
// would, and checks that it gave n bytes.
func drain(r io.Reader, n int64) error {
	buf := make([]byte, 1<<20)
	var got int64
	for {
		m, err := r.Read(buf)
		got += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if got != n {
		return fmt.Errorf("read %d bytes, want %d", got, n)
	}
	return nil
}

func copyTo(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
