// Package cachekey computes the cache keys of cached steps
// (docs/runtime.md, "Step caching"): a SHA-256 over labelled lines, one
// per thing the key covers, and the digest of a task's artifacts that
// stands for them in its successors' keys.
package cachekey

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"maps"
	"reflect"
	"slices"
	"strconv"

	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
)

// Version is the version of the key's text: a change of what a key
// covers changes it, so that no entry stored under the old text is found.
const Version = "stepflow cache key 1"

// Builder builds one key from labelled values, in the order they are
// added. Every value is quoted, so two different sequences never give the
// same text.
type Builder struct{ h hash.Hash }

// New returns a Builder whose text starts with Version.
func New() *Builder {
	b := &Builder{h: sha256.New()}
	b.Add("version", Version)
	return b
}

// Add adds one labelled value.
func (b *Builder) Add(label, value string) {
	b.h.Write([]byte(label))
	b.h.Write([]byte{' '})
	b.h.Write(strconv.AppendQuote(nil, value))
	b.h.Write([]byte{'\n'})
}

// Key returns the key: 64 lowercase hex digits.
func (b *Builder) Key() string { return hex.EncodeToString(b.h.Sum(nil)) }

// Digest returns the digest of a task's artifacts, by name, content hash
// and encoding (not by where they are stored): a SHA-256 in hex. The
// fields named in skip are left out.
func Digest(arts map[string]datastore.ArtifactRef, skip ...string) string {
	b := &Builder{h: sha256.New()}
	for _, name := range slices.Sorted(maps.Keys(arts)) {
		if slices.Contains(skip, name) {
			continue
		}
		ref := arts[name]
		b.Add("artifact", name)
		b.Add("hash", ref.Hash)
		b.Add("encoding", ref.Encoding)
	}
	return b.Key()
}

// Item returns the digest of one item of a foreach, from its encoding
// and its encoded bytes.
func Item(encoding string, parts [][]byte) string {
	h := sha256.New()
	h.Write([]byte(encoding))
	h.Write([]byte{0})
	for _, p := range parts {
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ItemDigests returns the digest of each item of list (a slice or an
// array) as the artifact encoding stores it alone (Item), or nil when one
// of them does not encode alone.
func ItemDigests(list reflect.Value) []string {
	if list.Kind() != reflect.Slice && list.Kind() != reflect.Array {
		return nil
	}
	out := make([]string, list.Len())
	for i := range list.Len() {
		enc, err := artifact.Marshal(list.Index(i))
		if err != nil {
			return nil
		}
		out[i] = Item(enc.Encoding, enc.Parts)
	}
	return out
}
