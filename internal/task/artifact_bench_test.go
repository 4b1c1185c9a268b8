package task_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unsafe"

	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/benchcpu"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/task"
)

// The artifact benchmarks store a 256 MiB value the way a task does
// (artifact.Marshal, Blobs.PutParts) and load it the way the next task
// does (task.DecodeArtifact), against os.WriteFile and os.ReadFile of the
// same bytes; scripts/bench-artifacts.sh measures the same end to end, with
// task processes.
//
//	go test -run XXX -bench Artifact -benchtime 3x ./internal/task/

const mib256 = 256 << 20

func randomBytes(b []byte) { rand.NewChaCha8([32]byte{3}).Read(b) }

type columns struct {
	ID    []int64
	X     []float32
	Y     []float64
	Class []uint8
}

func benchArtifact[T any](b *testing.B, v T) {
	ctx := context.Background()
	b.SetBytes(mib256)
	defer benchcpu.Report(b)()
	for b.Loop() {
		b.StopTimer()
		be, err := local.New(b.TempDir(), local.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s := datastore.NewStore(be, "F")
		b.StartTimer()
		enc, err := artifact.Marshal(reflect.ValueOf(v))
		if err != nil {
			b.Fatal(err)
		}
		h, err := s.Blobs().PutParts(ctx, enc.Parts)
		if err != nil {
			b.Fatal(err)
		}
		var got T
		ref := datastore.ArtifactRef{Hash: h, Encoding: enc.Encoding}
		if err := task.DecodeArtifact(ctx, s.Blobs(), ref, reflect.ValueOf(&got)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkArtifactFloat64(b *testing.B) {
	x := make([]float64, mib256/8)
	randomBytes(unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), mib256))
	benchArtifact(b, x)
}

func BenchmarkArtifactStruct(b *testing.B) {
	rows := mib256 / 21
	c := columns{make([]int64, rows), make([]float32, rows), make([]float64, rows), make([]uint8, rows)}
	for i := range rows {
		c.ID[i] = int64(i)
	}
	randomBytes(unsafe.Slice((*byte)(unsafe.Pointer(&c.X[0])), rows*4))
	randomBytes(unsafe.Slice((*byte)(unsafe.Pointer(&c.Y[0])), rows*8))
	randomBytes(c.Class)
	benchArtifact(b, c)
}

func BenchmarkArtifactBytes(b *testing.B) {
	x := make([]byte, mib256)
	randomBytes(x)
	benchArtifact(b, x)
}

// BenchmarkArtifactPlain is the baseline: os.WriteFile, os.ReadFile.
func BenchmarkArtifactPlain(b *testing.B) {
	x := make([]byte, mib256)
	randomBytes(x)
	b.SetBytes(mib256)
	defer benchcpu.Report(b)()
	for b.Loop() {
		b.StopTimer()
		p := filepath.Join(b.TempDir(), "x")
		b.StartTimer()
		if err := os.WriteFile(p, x, 0o644); err != nil {
			b.Fatal(err)
		}
		if _, err := os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	}
}
