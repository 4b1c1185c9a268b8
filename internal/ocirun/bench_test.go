package ocirun

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BenchmarkRun measures one job of an image already unpacked: ocirun's
// start, the pull of the manifest and config, the container's setup, the
// probe's run and the clean-up.
func BenchmarkRun(b *testing.B) {
	reg := newRegistry(b)
	cache := b.TempDir()
	ref := reg.push(b, "bench", testImage(b, v1.Config{Entrypoint: []string{"/bin/probe"}}, layer(b, baseFiles(b, false)...)))
	if r := runOcirun(b, ref, cache, nil, "exit:0"); r.code != 0 {
		b.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for b.Loop() {
		if r := runOcirun(b, ref, cache, nil, "exit:0"); r.code != 0 {
			b.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
}
