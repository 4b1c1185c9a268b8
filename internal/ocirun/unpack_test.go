package ocirun

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestUnpack(t *testing.T) {
	reg := newRegistry(t)
	cache := t.TempDir()
	lower := layer(t, append(baseFiles(t, true),
		entry{name: "etc/motd", mode: 0o644, data: []byte("old\n")},
		entry{name: "var/gone", mode: 0o644, data: []byte("x")},
		entry{name: "dev/fifo", typ: tar.TypeFifo, mode: 0o600},
	)...)
	upper := layer(t,
		entry{name: "etc/motd", mode: 0o600, data: []byte("new\n")},
		entry{name: "var/.wh.gone"},
	)
	img := testImage(t, v1.Config{Entrypoint: []string{"/bin/probe"}}, lower, upper)
	ref := reg.push(t, "unpack", img)
	pulled, err := Pull(context.Background(), ref, false)
	if err != nil {
		t.Fatal(err)
	}
	root, fresh, err := Unpack(pulled, cache)
	if err != nil || !fresh {
		t.Fatalf("Unpack: %v, fresh %t", err, fresh)
	}
	d, _ := img.Digest()
	if want := filepath.Join(cache, "images", "sha256-"+d.Hex, "rootfs"); root != want {
		t.Errorf("root %s, want %s", root, want)
	}

	for name, want := range map[string]os.FileMode{
		"bin/probe": 0o755, "bin/suid": 0o755 | os.ModeSetuid, "tmp": 0o777 | os.ModeDir | os.ModeSticky,
		"home/app": 0o750 | os.ModeDir, "root": 0o700 | os.ModeDir, "etc/motd": 0o600,
		"usr/bin/probe": 0o777 | os.ModeSymlink, "dev/fifo": 0o600 | os.ModeNamedPipe, ".": 0o755 | os.ModeDir,
	} {
		fi, err := os.Lstat(filepath.Join(root, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
		if name != "." && !fi.ModTime().Equal(mtime) {
			t.Errorf("%s: modified %v, want %v", name, fi.ModTime(), mtime)
		}
	}
	if st, err := os.Stat(filepath.Join(root, "home/app")); err != nil || st.Sys().(*syscall.Stat_t).Uid != 1000 || st.Sys().(*syscall.Stat_t).Gid != 1000 {
		t.Errorf("home/app is not app's: %v", err)
	}
	if l, err := os.Readlink(filepath.Join(root, "usr/bin/probe")); l != "/bin/probe" {
		t.Errorf("usr/bin/probe links to %q (%v), want /bin/probe", l, err)
	}
	a, _ := os.Stat(filepath.Join(root, "bin/probe"))
	b, err := os.Stat(filepath.Join(root, "usr/local/bin/aws"))
	if err != nil || !os.SameFile(a, b) {
		t.Errorf("usr/local/bin/aws is not a hard link of bin/probe: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "etc/motd")); string(b) != "new\n" {
		t.Errorf("etc/motd: %q, %v; want the upper layer's", b, err)
	}
	if _, err := os.Lstat(filepath.Join(root, "var/gone")); !os.IsNotExist(err) {
		t.Errorf("var/gone, whited out, is there: %v", err)
	}

	again, fresh, err := Unpack(pulled, cache)
	if err != nil || fresh || again != root {
		t.Errorf("second Unpack: %s, fresh %t, %v; want %s from the cache", again, fresh, err, root)
	}
}

// tarOf is a tar stream of entries.
func tarOf(t *testing.T, entries ...entry) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.data))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
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
	return &buf
}

// TestExtractStaysInRoot feeds extract what mutate.Extract already
// filters out, to check it defends itself.
func TestExtractStaysInRoot(t *testing.T) {
	for _, c := range []struct {
		name    string
		entries []entry
	}{
		{"dotdot", []entry{{name: "../evil", data: []byte("x")}}},
		{"inner dotdot", []entry{{name: "a/../../evil", data: []byte("x")}}},
		{"hard link out", []entry{{name: "evil", typ: tar.TypeLink, link: "../../etc/passwd"}}},
	} {
		root := t.TempDir()
		err := extract(tarOf(t, c.entries...), root)
		if err == nil || !strings.Contains(err.Error(), "leaves the root filesystem") {
			t.Errorf("%s: %v, want the entry refused", c.name, err)
		}
	}

	// Links out of the root, relative or absolute, resolve inside it, as
	// in a chroot.
	escaped := fmt.Sprintf("ocirun-escaped-%d", os.Getpid())
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	err := extract(tarOf(t,
		entry{name: "d/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "d/up", typ: tar.TypeSymlink, link: "../../.."},
		entry{name: "d/up/x", mode: 0o644, data: []byte("x")},
		entry{name: "link", typ: tar.TypeLink, link: "d/up/x"},
		entry{name: "abs", typ: tar.TypeSymlink, link: "/"},
		entry{name: "abs/" + escaped, mode: 0o644, data: []byte("x")},
	), root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "x")); err != nil {
		t.Errorf("d/up/x is not at the root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(parent, "x")); !os.IsNotExist(err) {
		t.Errorf("d/up/x escaped the root: %v", err)
	}
	if a, err := os.Lstat(filepath.Join(root, "link")); err != nil || a.Mode().Type() != 0 {
		t.Errorf("the hard link through d/up is not a file in the root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, escaped)); err != nil {
		t.Errorf("abs/%s is not at the root: %v", escaped, err)
	}
	if _, err := os.Lstat("/" + escaped); !os.IsNotExist(err) {
		os.Remove("/" + escaped)
		t.Errorf("abs/%s escaped the root to /", escaped)
	}
}

// TestConcurrentUnpack checks that runs of one image digest started at
// once unpack it once: goroutines calling Unpack, and ocirun processes.
func TestConcurrentUnpack(t *testing.T) {
	reg := newRegistry(t)
	ref := reg.push(t, "concurrent", testImage(t, v1.Config{Entrypoint: []string{"/bin/probe"}}, layer(t, baseFiles(t, true)...)))
	img, err := Pull(context.Background(), ref, false)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	const n = 4
	roots, freshes, errs := make([]string, n), make([]bool, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { roots[i], freshes[i], errs[i] = Unpack(img, cache) })
	}
	wg.Wait()
	unpacked := 0
	for i := range n {
		if errs[i] != nil || roots[i] != roots[0] {
			t.Errorf("Unpack %d: %s, %v", i, roots[i], errs[i])
		}
		if freshes[i] {
			unpacked++
		}
	}
	if unpacked != 1 {
		t.Errorf("%d of %d concurrent Unpacks unpacked, want 1", unpacked, n)
	}
	wantOneImage(t, cache)

	cache = t.TempDir()
	results := make([]result, 3)
	for i := range results {
		wg.Go(func() { results[i] = runOcirun(t, ref, cache, nil, "exit:7") })
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 7 {
			t.Errorf("run %d: exit %d: %s", i, r.code, r.stderr)
		}
	}
	wantOneImage(t, cache)
	wantNoJobs(t, cache)
}

// wantOneImage checks that cache holds one unpacked image and its lock,
// and no temporary copy.
func wantOneImage(t *testing.T, cache string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(cache, "images"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 || !strings.HasSuffix(names[1], ".lock") || names[1] != names[0]+".lock" {
		t.Errorf("cache holds %q, want one image and its lock", names)
	}
}
