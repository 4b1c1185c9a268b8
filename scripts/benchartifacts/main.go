// Command benchartifacts is the flow that scripts/bench-artifacts.sh runs
// to measure large artifacts end to end: one step writes a value of the
// given shape and size, the next ignores it, the next reads it, each in its
// own task process. With --mode plain the same steps write and read the
// same bytes with os.WriteFile and os.ReadFile instead, the baseline.
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"unsafe"

	"github.com/stepflow/stepflow"
)

// Table is the struct-of-slices shape: columns of a table.
type Table struct {
	ID    []int64
	X     []float32
	Y     []float64
	Class []uint8
}

// BigFlow carries one large value.
type BigFlow struct {
	Shape string // parameter: float64, struct, bytes or lazy
	Mode  string // parameter: artifact or plain
	Mib   int    // parameter
	Dir   string // parameter: where plain mode writes

	Floats []float64
	Table  Table
	Bytes  []byte
	Lazy   stepflow.Lazy[[]float64]

	Len int
}

func fill(b []byte) {
	r := rand.NewChaCha8([32]byte{1})
	r.Read(b)
}

func (f *BigFlow) n() int { return f.Mib << 20 }

// Produce makes the value and stores it.
func (f *BigFlow) Produce(c *stepflow.Context) error {
	n := f.n()
	switch f.Shape {
	case "float64", "lazy":
		x := make([]float64, n/8)
		fill(unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), n))
		if f.Mode == "plain" {
			return os.WriteFile(filepath.Join(f.Dir, "floats"), unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), n), 0o644)
		}
		if f.Shape == "lazy" {
			f.Lazy.Set(x)
		} else {
			f.Floats = x
		}
	case "struct":
		rows := n / (8 + 4 + 8 + 1)
		t := Table{ID: make([]int64, rows), X: make([]float32, rows), Y: make([]float64, rows), Class: make([]uint8, rows)}
		for i := range rows {
			t.ID[i] = int64(i)
		}
		fill(unsafe.Slice((*byte)(unsafe.Pointer(&t.X[0])), rows*4))
		fill(unsafe.Slice((*byte)(unsafe.Pointer(&t.Y[0])), rows*8))
		fill(t.Class)
		if f.Mode == "plain" {
			for name, b := range columns(&t) {
				if err := os.WriteFile(filepath.Join(f.Dir, name), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		}
		f.Table = t
	case "bytes":
		b := make([]byte, n)
		fill(b)
		if f.Mode == "plain" {
			return os.WriteFile(filepath.Join(f.Dir, "bytes"), b, 0o644)
		}
		f.Bytes = b
	default:
		return fmt.Errorf("unknown shape %q", f.Shape)
	}
	return nil
}

func columns(t *Table) map[string][]byte {
	view := func(p unsafe.Pointer, n int) []byte { return unsafe.Slice((*byte)(p), n) }
	rows := len(t.ID)
	return map[string][]byte{
		"id": view(unsafe.Pointer(&t.ID[0]), rows*8), "x": view(unsafe.Pointer(&t.X[0]), rows*4),
		"y": view(unsafe.Pointer(&t.Y[0]), rows*8), "class": t.Class,
	}
}

// Ignore does not touch the value.
func (f *BigFlow) Ignore(c *stepflow.Context) error { return nil }

// Consume reads the value.
func (f *BigFlow) Consume(c *stepflow.Context) error {
	if f.Mode == "plain" {
		names := map[string][]string{"float64": {"floats"}, "lazy": {"floats"}, "bytes": {"bytes"}, "struct": {"id", "x", "y", "class"}}[f.Shape]
		for _, name := range names {
			b, err := os.ReadFile(filepath.Join(f.Dir, name))
			if err != nil {
				return err
			}
			f.Len += len(b)
		}
		return nil
	}
	switch f.Shape {
	case "float64":
		f.Len = len(f.Floats) * 8
	case "lazy":
		x, err := f.Lazy.Get()
		if err != nil {
			return err
		}
		f.Len = len(x) * 8
	case "struct":
		f.Len = len(f.Table.ID)*8 + len(f.Table.X)*4 + len(f.Table.Y)*8 + len(f.Table.Class)
	case "bytes":
		f.Len = len(f.Bytes)
	}
	return nil
}

// End checks what was read.
func (f *BigFlow) End(c *stepflow.Context) error {
	if f.Len == 0 {
		return fmt.Errorf("nothing read")
	}
	return nil
}

func main() {
	stepflow.Main(stepflow.New[BigFlow]("BigFlow").
		Param("shape", "float64", "float64, struct, bytes or lazy").
		Param("mode", "artifact", "artifact or plain").
		Param("mib", 256, "size in MiB").
		Param("dir", "", "plain mode: directory for the files").
		Step("start", (*BigFlow).Produce, stepflow.Next("ignore")).
		Step("ignore", (*BigFlow).Ignore, stepflow.Next("consume")).
		Step("consume", (*BigFlow).Consume, stepflow.Next("end")).
		Step("end", (*BigFlow).End))
}
