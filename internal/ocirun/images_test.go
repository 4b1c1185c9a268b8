package ocirun

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is an OCI registry on loopback, over plain HTTP.
type testRegistry struct {
	host string // 127.0.0.1:PORT
}

// newRegistry starts a registry for the test.
func newRegistry(t testing.TB) *testRegistry {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return &testRegistry{host: strings.TrimPrefix(srv.URL, "http://")}
}

// push pushes img as repo:latest and returns its reference by digest.
func (r *testRegistry) push(t testing.TB, repo string, img v1.Image) string {
	t.Helper()
	ref, err := name.ParseReference(r.host + "/test/" + repo + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return r.host + "/test/" + repo + "@" + d.String()
}

// pushIndex pushes idx as repo:latest and returns its reference by
// digest.
func (r *testRegistry) pushIndex(t testing.TB, repo string, idx v1.ImageIndex) string {
	t.Helper()
	ref, err := name.ParseReference(r.host + "/test/" + repo + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return r.host + "/test/" + repo + "@" + d.String()
}

// entry is one file of a test layer.
type entry struct {
	name     string
	typ      byte // tar.TypeReg when zero
	mode     int64
	uid, gid int
	data     []byte
	link     string // of a symbolic or hard link
}

// mtime is every test entry's modification time.
var mtime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// layer is a layer holding entries, in order.
func layer(t testing.TB, entries ...entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid,
			Linkname: e.link, ModTime: mtime, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// baseFiles are the files of the test images' base layer: the probe at
// /bin/probe, reached also as /usr/bin/probe (an absolute symbolic link)
// and, when withAWS, as /usr/local/bin/aws (a hard link: run as aws, the
// probe behaves as the aws CLI); a passwd and a group file with root and
// app (uid 1000, also in group staff, 50); /tmp (1777), app's home
// (0750), and a setuid file.
func baseFiles(t testing.TB, withAWS bool) []entry {
	t.Helper()
	probe, err := os.ReadFile(probeBin)
	if err != nil {
		t.Fatal(err)
	}
	es := []entry{
		{name: "bin/", typ: tar.TypeDir, mode: 0o755},
		{name: "bin/probe", mode: 0o755, data: probe},
		{name: "bin/suid", mode: 0o4755, data: []byte("#!/bin/sh\n")},
		{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")},
		{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nstaff:x:50:app\napp:x:1000:\n")},
		{name: "home/", typ: tar.TypeDir, mode: 0o755},
		{name: "home/app/", typ: tar.TypeDir, mode: 0o750, uid: 1000, gid: 1000},
		{name: "root/", typ: tar.TypeDir, mode: 0o700},
		{name: "tmp/", typ: tar.TypeDir, mode: 0o1777},
		{name: "usr/bin/probe", typ: tar.TypeSymlink, mode: 0o777, link: "/bin/probe"},
	}
	if withAWS {
		es = append(es, entry{name: "usr/local/bin/aws", typ: tar.TypeLink, link: "bin/probe"})
	}
	return es
}

// testImage is an image of layers for this host's platform with cfg.
func testImage(t testing.TB, cfg v1.Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	return platformImage(t, v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, cfg, layers...)
}

// platformImage is an image of layers for platform p with cfg.
func platformImage(t testing.TB, p v1.Platform, cfg v1.Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config = cfg
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// otherArchs are two architectures that are not this host's.
func otherArchs() []string {
	var out []string
	for _, a := range []string{"arm64", "s390x", "amd64"} {
		if a != runtime.GOARCH && len(out) < 2 {
			out = append(out, a)
		}
	}
	return out
}
