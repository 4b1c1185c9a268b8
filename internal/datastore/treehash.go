package datastore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
)

// The name of a blob is a SHA-256, of one of two kinds, which byte 5 of
// the blob's header records (see the blob format in blob.go):
//
//   - namingFlat: the SHA-256 of the blob's (uncompressed) bytes, as
//     sha256sum prints it: every artifact blob, and file blobs written
//     before the tree.
//   - namingTree: the SHA-256 tree of the bytes (TreeHash): file blobs
//     (Blobs.PutFile). Its leaves can be hashed on every core at once, so a
//     large file is stored at the speed of its copy rather than of one
//     core's SHA-256 (which, even with SHA-NI, is slower than the kernel
//     copies a file in the page cache).
const (
	namingFlat = 0
	namingTree = 1
)

// TreeLeaf is the size of the leaves of TreeHash.
const TreeLeaf = 1 << 20

// TreeHash returns the hex SHA-256 tree of data, the name of a file blob.
// The bytes are cut into leaves of TreeLeaf bytes (the last one shorter,
// none for no bytes); each leaf's digest is SHA-256(0x00 || leaf), and the
// tree's is
//
//	SHA-256(0x01 || size as 8 bytes little endian || leaf digests in order)
//
// The prefixes keep a leaf from passing for a root and the reverse (as in
// RFC 6962); the size fixes the count of leaves. In Python:
//
//	root = hashlib.sha256(b"\x01" + struct.pack("<Q", size))
//	for leaf in leaves: root.update(hashlib.sha256(b"\x00" + leaf).digest())
func TreeHash(data []byte) string {
	h := newTreeHash(int64(len(data)))
	h.Write(data)
	return hexSum(h)
}

// leafSum returns the digest of one leaf of the tree.
func leafSum(leaf []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// treeRoot returns the hash the leaf digests of a tree of size bytes are
// written to, in order.
func treeRoot(size int64) hash.Hash {
	h := sha256.New()
	var pre [9]byte
	pre[0] = 1
	binary.LittleEndian.PutUint64(pre[1:], uint64(size))
	h.Write(pre[:])
	return h
}

// treeHash computes TreeHash of a stream on one core: the verifying
// readers use it for blobs named by the tree. It is a hash.Hash whose Sum
// is the tree's digest; the size given must be the count of bytes
// written (a reader checks that apart).
type treeHash struct {
	size int64
	root hash.Hash
	leaf hash.Hash
	n    int // bytes in the current leaf
}

func newTreeHash(size int64) *treeHash {
	t := &treeHash{size: size, root: treeRoot(size), leaf: sha256.New()}
	t.leaf.Write([]byte{0})
	return t
}

func (t *treeHash) Write(p []byte) (int, error) {
	written := len(p)
	for len(p) > 0 {
		m := min(len(p), TreeLeaf-t.n)
		t.leaf.Write(p[:m])
		t.n += m
		p = p[m:]
		if t.n == TreeLeaf {
			t.endLeaf()
		}
	}
	return written, nil
}

// endLeaf adds the current leaf's digest to the root and starts a leaf.
func (t *treeHash) endLeaf() {
	var sum [sha256.Size]byte
	t.root.Write(t.leaf.Sum(sum[:0]))
	t.leaf.Reset()
	t.leaf.Write([]byte{0})
	t.n = 0
}

// Sum appends the tree's digest to b; it does not change the state.
func (t *treeHash) Sum(b []byte) []byte {
	if t.n == 0 {
		return t.root.Sum(b)
	}
	// The last leaf, which may be short, goes to a copy of the root.
	var root hash.Hash = t.root // finished in place if it cannot be cloned
	if c, err := t.root.(hash.Cloner).Clone(); err == nil {
		root = c // always so for crypto/sha256
	}
	var sum [sha256.Size]byte
	root.Write(t.leaf.Sum(sum[:0]))
	return root.Sum(b)
}

func (t *treeHash) Reset() { *t = *newTreeHash(t.size) }

func (t *treeHash) Size() int      { return sha256.Size }
func (t *treeHash) BlockSize() int { return sha256.BlockSize }

// hexSum returns h's digest in hex.
func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// namingHash returns the hash that names a blob of size bytes stored with
// the given naming.
func namingHash(naming byte, size int64) hash.Hash {
	if naming == namingTree {
		return newTreeHash(size)
	}
	return sha256.New()
}
