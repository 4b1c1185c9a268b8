// Package testbin builds the Go programs tests run as subprocesses (flow
// binaries, mostly), once: a binary is cached on disk under a key computed
// from everything that goes into it (the go command's version and
// environment, the build flags, the module versions of its dependencies
// and the content of every file of its main-module packages), so the test
// binaries of one `go test ./...` invocation, which run as separate
// processes, share it, and a later run with unchanged sources links
// nothing.
//
// Builds are serialized by a lock on the cache directory: on a small
// machine two go commands compiling the same dependencies at once only
// slow each other down.
//
// The cache lives in $STEPFLOW_TESTBIN_CACHE, or in
// $TMPDIR/stepflow-testbin-<uid>/<checkout>; it keeps the last few versions of each
// binary and forgets versions unused for a day.
package testbin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stepflow/stepflow/internal/testproc"
)

// Options say how to build.
type Options struct {
	// Tags are build tags, e.g. "stepflow_aws" for the AWS build of a
	// flow.
	Tags []string
	// GOOS and GOARCH cross-compile; empty means this machine. Only a
	// test that needs a different platform should set them.
	GOOS, GOARCH string
	// Flags are more go build flags (e.g. "-trimpath").
	Flags []string
	// Env are more environment variables for the go command (e.g.
	// "CGO_ENABLED=0").
	Env []string
}

// Build builds the main packages matched by patterns (import paths,
// patterns like ./examples/..., relative to the module root) and returns
// the path of each binary by its import path. A binary must not be
// modified: it is shared.
func Build(opts Options, patterns ...string) (map[string]string, error) {
	key := fmt.Sprintf("%q %q", opts, patterns)
	v, _ := memo.LoadOrStore(key, &once{})
	o := v.(*once)
	o.once.Do(func() { o.bins, o.err = build(opts, patterns) })
	return o.bins, o.err
}

// MustBuild is Build for a test: it fails t on error.
func MustBuild(t testing.TB, opts Options, patterns ...string) map[string]string {
	t.Helper()
	bins, err := Build(opts, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	return bins
}

// Dir is Build with every binary linked (symlinked) into one new directory
// under dir, by its command name (the import path's last element), for a
// PATH.
func Dir(dir string, opts Options, patterns ...string) error {
	bins, err := Build(opts, patterns...)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for pkg, bin := range bins {
		if err := os.Symlink(bin, filepath.Join(dir, path(pkg))); err != nil {
			return err
		}
	}
	return nil
}

type once struct {
	once sync.Once
	bins map[string]string
	err  error
}

var memo sync.Map

// Root returns the root directory of the main module (where go.mod is),
// searched upwards from the working directory.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testbin: no go.mod above the working directory")
		}
		dir = parent
	}
}

// CacheDir is where binaries are kept: $STEPFLOW_TESTBIN_CACHE, else a
// directory of this user's for this checkout (so that two checkouts tested
// at once never prune each other's binaries).
func CacheDir() string {
	if d := os.Getenv("STEPFLOW_TESTBIN_CACHE"); d != "" {
		return d
	}
	checkout := "unknown"
	if root, err := Root(); err == nil {
		sum := sha256.Sum256([]byte(root))
		checkout = hex.EncodeToString(sum[:6])
	}
	return filepath.Join(testproc.DiskTempDir(), fmt.Sprintf("stepflow-testbin-%d", os.Getuid()), checkout)
}

// keep is how many versions of one binary the cache keeps (an AWS build
// of a flow is about 30 MB): the plain and the AWS build, with room for
// another checkout's. A version used within inUse is kept anyway: a test
// of another package may be about to run it.
const (
	keep  = 4
	inUse = 30 * time.Minute
)

// maxAge is how long an unused version stays.
const maxAge = 24 * time.Hour

type listed struct {
	ImportPath string
	Name       string
	Dir        string
	Standard   bool
	DepOnly    bool
	Deps       []string
	Module     *struct {
		Path    string
		Version string
		Main    bool
		Replace *struct{ Path, Version string }
	}
	GoFiles, CgoFiles, CFiles, CXXFiles, HFiles, SFiles, SysoFiles, EmbedFiles []string
	Error                                                                      *struct{ Err string }
}

func (o Options) env() []string {
	env := os.Environ()
	if o.GOOS != "" {
		env = append(env, "GOOS="+o.GOOS)
	}
	if o.GOARCH != "" {
		env = append(env, "GOARCH="+o.GOARCH)
	}
	return append(env, o.Env...)
}

func (o Options) buildFlags() []string {
	var f []string
	if len(o.Tags) > 0 {
		f = append(f, "-tags", strings.Join(o.Tags, ","))
	}
	return append(f, o.Flags...)
}

func build(opts Options, patterns []string) (map[string]string, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	env := opts.env()

	// What goes into every binary besides its packages.
	cmd := exec.Command("go", "env", "GOVERSION", "GOOS", "GOARCH", "CGO_ENABLED", "GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOARM64", "CC", "GOROOT")
	cmd.Dir, cmd.Env = root, env
	goenv, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("testbin: go env: %v", err)
	}
	base := sha256.New()
	fmt.Fprintf(base, "testbin 1\n%s\n%q\n", goenv, opts.buildFlags())

	// Every package of every binary.
	args := append([]string{"list", "-deps", "-json=ImportPath,Name,Dir,Standard,DepOnly,Deps,Module,GoFiles,CgoFiles,CFiles,CXXFiles,HFiles,SFiles,SysoFiles,EmbedFiles,Error"}, opts.buildFlags()...)
	cmd = exec.Command("go", append(args, patterns...)...)
	cmd.Dir, cmd.Env = root, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("testbin: go list %s: %v\n%s", strings.Join(patterns, " "), err, stderr.Bytes())
	}
	pkgs := map[string]*listed{}
	var mains []*listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listed)
		if err := dec.Decode(p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("testbin: go list output: %v", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("testbin: %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs[p.ImportPath] = p
		if !p.DepOnly && p.Name == "main" {
			mains = append(mains, p)
		}
	}
	if len(mains) == 0 {
		return nil, fmt.Errorf("testbin: %s matched no main package", strings.Join(patterns, " "))
	}

	// The key of each binary.
	pkgHash := map[string]string{}
	hashPkg := func(p *listed) (string, error) {
		if h, ok := pkgHash[p.ImportPath]; ok {
			return h, nil
		}
		h := sha256.New()
		fmt.Fprintf(h, "%s\n", p.ImportPath)
		switch {
		case p.Standard:
			// The toolchain's version (in goenv) covers it.
		case p.Module != nil && !p.Module.Main && p.Module.Replace == nil && p.Module.Version != "":
			fmt.Fprintf(h, "%s@%s\n", p.Module.Path, p.Module.Version)
		default:
			var files []string
			for _, l := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.HFiles, p.SFiles, p.SysoFiles, p.EmbedFiles} {
				files = append(files, l...)
			}
			sort.Strings(files)
			for _, f := range files {
				b, err := os.ReadFile(filepath.Join(p.Dir, f))
				if err != nil {
					return "", err
				}
				s := sha256.Sum256(b)
				fmt.Fprintf(h, "%s %x\n", f, s)
			}
		}
		sum := hex.EncodeToString(h.Sum(nil))
		pkgHash[p.ImportPath] = sum
		return sum, nil
	}
	type want struct {
		pkg, key, dir string
	}
	var wants []want
	baseSum := base.Sum(nil)
	for _, m := range mains {
		h := sha256.New()
		h.Write(baseSum)
		for _, dep := range append([]string{m.ImportPath}, m.Deps...) {
			p, ok := pkgs[dep]
			if !ok {
				return nil, fmt.Errorf("testbin: go list did not list %s, a dependency of %s", dep, m.ImportPath)
			}
			s, err := hashPkg(p)
			if err != nil {
				return nil, fmt.Errorf("testbin: %s: %v", m.ImportPath, err)
			}
			fmt.Fprintf(h, "%s\n", s)
		}
		key := hex.EncodeToString(h.Sum(nil))[:32]
		wants = append(wants, want{m.ImportPath, key, filepath.Join(CacheDir(), slug(m.ImportPath), key)})
	}

	// Build what the cache lacks, under the lock.
	if err := os.MkdirAll(CacheDir(), 0o755); err != nil {
		return nil, err
	}
	// The checkout's directory says when it was last used; those of
	// checkouts unused for maxAge (a fresh clone CI tested and deleted)
	// go.
	now := time.Now()
	os.Chtimes(CacheDir(), now, now)
	pruneCheckouts.Do(func() { testproc.RemoveOlder(filepath.Dir(CacheDir()), maxAge, CacheDir()) })
	unlock, err := lock(filepath.Join(CacheDir(), "lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	var missing []want
	for _, w := range wants {
		if _, err := os.Stat(filepath.Join(w.dir, path(w.pkg))); err != nil {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		tmp, err := os.MkdirTemp(CacheDir(), "build-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		args := append([]string{"build", "-o", tmp + string(filepath.Separator)}, opts.buildFlags()...)
		for _, w := range missing {
			args = append(args, w.pkg)
		}
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = root, env
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("testbin: go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		}
		for _, w := range missing {
			name := path(w.pkg)
			if opts.GOOS == "windows" {
				name += ".exe"
			}
			if err := os.MkdirAll(w.dir, 0o755); err != nil {
				return nil, err
			}
			if err := os.Rename(filepath.Join(tmp, name), filepath.Join(w.dir, path(w.pkg))); err != nil {
				return nil, fmt.Errorf("testbin: %v", err)
			}
		}
	}
	bins := map[string]string{}
	now = time.Now()
	for _, w := range wants {
		os.Chtimes(w.dir, now, now) // used: prune keeps it
		bins[w.pkg] = filepath.Join(w.dir, path(w.pkg))
		prune(filepath.Dir(w.dir))
	}
	return bins, nil
}

// pruneCheckouts prunes other checkouts' directories once per process.
var pruneCheckouts sync.Once

// prune removes all but the newest versions of one binary, and versions
// unused for maxAge.
func prune(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type version struct {
		path string
		used time.Time
	}
	var vs []version
	for _, e := range ents {
		if info, err := e.Info(); err == nil && e.IsDir() {
			vs = append(vs, version{filepath.Join(dir, e.Name()), info.ModTime()})
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].used.After(vs[j].used) })
	for i, v := range vs {
		age := time.Since(v.used)
		if (i >= keep && age > inUse) || age > maxAge {
			os.RemoveAll(v.path)
		}
	}
}

// lock takes an exclusive lock on file, waiting for other processes.
func lock(file string) (func(), error) {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("testbin: lock %s: %v", file, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// path is the command name of an import path.
func path(pkg string) string { return pkg[strings.LastIndex(pkg, "/")+1:] }

// slug is an import path as one directory name.
func slug(pkg string) string { return strings.NewReplacer("/", "_", "\\", "_", ":", "_").Replace(pkg) }
