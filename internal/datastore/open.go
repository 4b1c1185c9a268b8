package datastore

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/stepflow/stepflow/internal/usage"
)

// An Opener opens the Backend a datastore root names. getenv supplies its
// settings (endpoints, regions); it sends no request. Errors that the user
// fixes (a malformed root, a missing setting) are usage errors.
type Opener func(ctx context.Context, root string, getenv func(string) string) (Backend, error)

// FileScheme names local directories: a root with no "scheme://" prefix
// is a directory.
const FileScheme = "file"

// openers holds the registered backends, by scheme. Registration happens
// in the init functions of backend packages, like database/sql drivers: a
// program gets a backend by importing its package.
var openers = struct {
	sync.RWMutex
	m map[string]Opener
}{m: map[string]Opener{}}

// Register makes the backend of a scheme ("s3" for s3://bucket/prefix,
// FileScheme for directories) available to Open. It panics if the scheme
// is registered twice, which is a programming error.
func Register(scheme string, open Opener) {
	openers.Lock()
	defer openers.Unlock()
	if _, dup := openers.m[scheme]; dup {
		panic("datastore: Register called twice for scheme " + scheme)
	}
	openers.m[scheme] = open
}

// Scheme returns the scheme of a datastore root: the part before "://",
// or FileScheme for a directory.
func Scheme(root string) string {
	if i := strings.Index(root, "://"); i > 0 {
		return root[:i]
	}
	return FileScheme
}

// Open opens the Backend of root with the opener registered for its
// scheme. An empty root, or a scheme no imported package registered, is a
// usage error that says how to get it.
func Open(ctx context.Context, root string, getenv func(string) string) (Backend, error) {
	if root == "" {
		return nil, usage.Errorf("the datastore root is empty; give a directory (the default is .stepflow) or s3://bucket/prefix")
	}
	scheme := Scheme(root)
	openers.RLock()
	open := openers.m[scheme]
	openers.RUnlock()
	if open == nil {
		if scheme == "s3" {
			return nil, usage.Errorf("datastore root %s: this program was built without the S3 datastore, which links the AWS SDK; build the flow with 'go build -tags stepflow_aws' (or run it with 'go run -tags stepflow_aws'), or use the stepflow command", root)
		}
		return nil, usage.Errorf("datastore root %s: unknown scheme %q; use a directory or s3://bucket/prefix (known: %s)", root, scheme, strings.Join(Schemes(), ", "))
	}
	return open(ctx, root, getenv)
}

// Schemes returns the registered schemes, sorted.
func Schemes() []string {
	openers.RLock()
	defer openers.RUnlock()
	var s []string
	for k := range openers.m {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}
