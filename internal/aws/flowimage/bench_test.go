package flowimage

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkImage builds the flow image of two examples from their AWS
// builds, cross-compiled as create does (the go build cache makes the
// compile cheap after the first), and reports what a pull moves (image
// bytes, compressed) and the time to assemble it; then, with the image in a
// registry, what an unchanged create spends on it: one HEAD request; and
// the assembly of an unchanged binary with the layer cache.
//
//	go test ./internal/aws/flowimage -run '^$' -bench Image -benchtime 5x
func BenchmarkImage(b *testing.B) {
	for _, ex := range []string{"hello", "foreach"} {
		b.Run(ex, func(b *testing.B) {
			bin, err := Build(context.Background(), filepath.Join("..", "..", ".."), "./examples/"+ex, Arch(runtime.GOARCH))
			if err != nil {
				b.Fatal(err)
			}
			var im *Image
			for b.Loop() {
				if im, err = Assemble(ex, []*Binary{bin}, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(im.Size)/(1<<20), "image-MiB")
			b.ReportMetric(float64(len(bin.Data))/(1<<20), "binary-MiB")
		})
	}
	// The same binary again with the layer cache (step-functions create
	// and image use the user's): no compression.
	b.Run("hello-cached", func(b *testing.B) {
		bin, err := Build(context.Background(), filepath.Join("..", "..", ".."), "./examples/hello", Arch(runtime.GOARCH))
		if err != nil {
			b.Fatal(err)
		}
		cache := LayerCache(b.TempDir())
		if _, err := cache.Assemble("hello", []*Binary{bin}, nil); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := cache.Assemble("hello", []*Binary{bin}, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("push-unchanged", func(b *testing.B) {
		repo := startRegistry(b) + "/flows/hello"
		im, err := Assemble("hello", []*Binary{fakeBinary(AMD64, "one")}, nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if _, _, err := Push(ctx, repo, im); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, pushed, err := Push(ctx, repo, im); err != nil || pushed {
				b.Fatalf("push of an unchanged image: %v, pushed %v", err, pushed)
			}
		}
	})
}
