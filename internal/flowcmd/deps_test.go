package flowcmd_test

import (
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestFlowBinaryDeps checks that flow binaries (of the plain and of the
// AWS build) and the stepflow inspector link, of
// github.com/klauspost/compress, only its s2 package (the datastore's
// codec, docs/datastore.md) and what s2 imports: not zstd, flate or the
// others, whose initialisation every task start would pay for nothing.
//
// It also checks that a flow binary does not link packages whose
// initialisation every task start would pay for nothing: regexp,
// image/png and compress/flate (the first and the last only in the plain
// build: the AWS SDK links them).
func TestFlowBinaryDeps(t *testing.T) {
	for _, tags := range []string{"", "stepflow_aws"} {
		deps := listDeps(t, tags, "./examples/hello", "./cmd/stepflow")
		if !slices.Contains(deps, "github.com/klauspost/compress/s2") {
			t.Fatalf("tags %q: klauspost/compress/s2 is not among the dependencies: does the list hold the datastore?", tags)
		}
		for _, d := range deps {
			switch d {
			case "github.com/klauspost/compress/s2", "github.com/klauspost/compress/internal/le",
				"github.com/klauspost/compress/internal/race":
				continue
			}
			if tags == "stepflow_aws" && imageBuilderDep(d) {
				continue
			}
			if strings.HasPrefix(d, "github.com/klauspost/compress") {
				t.Errorf("tags %q: a flow binary links %s", tags, d)
			}
		}
	}
	for _, tags := range []string{"", "stepflow_aws"} {
		deps := listDeps(t, tags, "./examples/hello")
		if !slices.Contains(deps, "github.com/stepflow/stepflow/card") {
			t.Fatalf("tags %q: package card is not among the dependencies of a flow binary: does the list hold them?", tags)
		}
		for _, p := range []struct {
			pkg     string
			linkAWS bool // the AWS build links it anyway
		}{
			// Its tables make unicode's initialisation build maps of
			// Unicode categories and scripts (card keeps Markdown source;
			// the viewers render it). The AWS SDK's endpoint resolvers
			// link it.
			{"regexp", true},
			// It links compress/flate (card checks a PNG's header by hand).
			{"image/png", false},
			// Its initialisation builds Huffman tables. net/http, which
			// the AWS SDK links, links it.
			{"compress/flate", true},
		} {
			if slices.Contains(deps, p.pkg) && (tags == "" || !p.linkAWS) {
				t.Errorf("tags %q: a flow binary links %s", tags, p.pkg)
			}
		}
	}
}

// imageBuilderDep reports whether d is a package of klauspost/compress
// that the AWS build links for go-containerregistry (step-functions create
// builds and pushes the flow image; layers may be zstd): zstd and what it
// imports. Their initialisation costs the AWS build about 0.6 ms of a
// process start (GODEBUG=inittrace=1 of examples/hello built with -tags
// stepflow_aws), the price of building images without Docker in the same
// binary.
func imageBuilderDep(d string) bool {
	switch strings.TrimPrefix(d, "github.com/klauspost/compress") {
	case "", "/fse", "/huff0", "/zstd", "/zstd/internal/xxhash", "/internal/cpuinfo", "/internal/snapref", "/internal/regmask":
		return true
	}
	return false
}

// listDeps returns the packages that pkgs (of the module) link when built
// with tags: themselves and their dependencies.
func listDeps(t *testing.T, tags string, pkgs ...string) []string {
	t.Helper()
	all := depsOf(t, tags)
	var out []string
	for _, p := range pkgs {
		deps, ok := all[p]
		if !ok {
			t.Fatalf("listDeps: %s is not among the packages of depsOf", p)
		}
		out = append(out, deps...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// depsTargets are the packages listDeps knows.
var depsTargets = []string{"./examples/hello", "./examples/foreach", "./cmd/stepflow"}

var depsCache struct {
	sync.Mutex
	byTags map[string]map[string][]string
}

// depsOf lists, with one go list per build tag, each of depsTargets'
// packages and dependencies, keyed by its ./-relative path.
func depsOf(t *testing.T, tags string) map[string][]string {
	t.Helper()
	depsCache.Lock()
	defer depsCache.Unlock()
	if m, ok := depsCache.byTags[tags]; ok {
		return m
	}
	cmd := exec.Command("go", append([]string{"list", "-tags", tags, "-f", "{{.ImportPath}} {{join .Deps \" \"}}"}, depsTargets...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -tags %q: %v", tags, err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m["."+strings.TrimPrefix(f[0], module)] = f
	}
	if depsCache.byTags == nil {
		depsCache.byTags = map[string]map[string][]string{}
	}
	depsCache.byTags[tags] = m
	return m
}
