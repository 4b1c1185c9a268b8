package datastore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Blobs holds a flow's content-addressed blobs,
// "<flow>/blobs/<hash[:2]>/<hash>": the encoded artifacts, cards and
// frozen configs of its runs, each named by the SHA-256 of its bytes (a
// file's by their SHA-256 tree, TreeHash) and stored once, in the blob
// format of blobformat.go. A blob is never rewritten, except when it
// proved damaged and the same content is put again. Every read verifies
// the bytes against their name (OpenFile excepted on the local
// filesystem, see there): damage reads as an error wrapping ErrCorrupt,
// a missing blob as ErrNotFound. It is safe for concurrent use.
type Blobs struct {
	layout
	// damaged holds the hashes of blobs a reader found damaged (see
	// blobIntact).
	damaged sync.Map
}

// Has reports whether an object is stored under the hash: one Stat,
// which does not verify the content (Put does more before it trusts
// a stored blob; see blobIntact).
func (bl *Blobs) Has(ctx context.Context, hash string) (bool, error) {
	if err := checkHash(hash); err != nil {
		return false, err
	}
	size, err := bl.b.Stat(ctx, bl.blobKey(hash))
	switch {
	case err == nil:
		return size >= blobHeaderSize, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("stat blob %s: %w", bl.blobKey(hash), err)
}

// Put stores data content-addressed and returns its hash (hex SHA-256 of
// data). See PutParts.
func (bl *Blobs) Put(ctx context.Context, data []byte) (string, error) {
	return bl.PutParts(ctx, [][]byte{data})
}

// PutParts stores the concatenation of parts content-addressed and
// returns its hash (hex SHA-256). The write is skipped when a blob with
// that hash already exists. The stored form is compressed with s2 unless a
// sample shows the data to be incompressible; the codec is recorded in the
// blob header. A small raw blob (up to 64 KiB) is joined to its header
// in one buffer; larger ones are streamed to the backend as they are,
// never joined or copied whole. On a backend that can stage an object (the local
// filesystem, see Stager), a blob of at least stageMin bytes is written to
// a temporary name while another goroutine hashes the parts, and renamed to
// its hash; elsewhere one pass hashes the parts and a second writes them,
// so an existing blob is not uploaded again.
func (bl *Blobs) PutParts(ctx context.Context, parts [][]byte) (string, error) {
	var size int64
	for _, p := range parts {
		size += int64(len(p))
	}
	if st, ok := bl.b.(Stager); ok && size >= stageMin {
		return bl.putPartsStaged(ctx, st, parts, size)
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	hash := hex.EncodeToString(h.Sum(nil))
	key := bl.blobKey(hash)
	if ok, err := bl.blobIntact(ctx, hash, size); err != nil {
		return "", fmt.Errorf("put blob %s: %w", key, err)
	} else if ok {
		return hash, nil
	}
	codec := chooseCodec(parts, size)
	var rd io.Reader
	switch {
	case codec == codecRaw && size <= readWholeMax:
		// A small blob (most values) is joined to its header, so that the
		// backend gets it as bytes in memory: one write, or one request
		// of known length.
		blob := append(make([]byte, 0, blobHeaderSize+size), blobHeader(codec, size)...)
		for _, p := range parts {
			blob = append(blob, p...)
		}
		rd = bytes.NewReader(blob)
	case codec == codecRaw:
		rs := []io.Reader{bytes.NewReader(blobHeader(codec, size))}
		for _, p := range parts {
			rs = append(rs, bytes.NewReader(p))
		}
		rd = io.MultiReader(rs...)
	default:
		pr, pw := io.Pipe()
		defer pr.Close() // unblocks the encoder if Save stops reading early
		go func() {
			pw.CloseWithError(writePayload(pw, codec, size, parts)) // nil error closes normally
		}()
		rd = pr
	}
	if err := bl.b.Save(ctx, key, rd); err != nil {
		return "", fmt.Errorf("put blob %s: %w", key, err)
	}
	return hash, nil
}

// stageMin is the size from which PutParts hashes and writes a blob in
// parallel on a Stager backend. Below it, hashing first costs little and
// lets an existing blob skip the write (records and small artifacts are
// often stored again unchanged).
const stageMin = 1 << 20

// putPartsStaged writes the blob of parts to a staged object while a
// second goroutine hashes the parts (they are only read, so both may use
// them at once), then names it by the hash, or drops it if an intact blob
// of that hash is there already. The staged object holds exactly the bytes
// hashed, so a blob never reaches its content address with other bytes;
// a crash before the rename leaves only a temporary file.
func (bl *Blobs) putPartsStaged(ctx context.Context, st Stager, parts [][]byte, size int64) (string, error) {
	codec := chooseCodec(parts, size)
	sw, err := st.Stage(ctx, bl.flow+"/blobs")
	if err != nil {
		return "", fmt.Errorf("put blob: %w", err)
	}
	defer sw.Discard()
	hc := make(chan string, 1)
	go func() {
		h := sha256.New()
		for _, p := range parts {
			h.Write(p)
		}
		hc <- hex.EncodeToString(h.Sum(nil))
	}()
	err = writePayload(ctxWriter{ctx, sw}, codec, size, parts)
	hash := <-hc
	key := bl.blobKey(hash)
	if err != nil {
		return "", fmt.Errorf("put blob %s: %w", key, err)
	}
	return hash, bl.commitStaged(ctx, sw, hash, size)
}

// commitStaged names a staged blob by its hash, unless an intact blob of
// that hash exists already (then the staged copy is dropped).
func (bl *Blobs) commitStaged(ctx context.Context, sw Staged, hash string, size int64) error {
	key := bl.blobKey(hash)
	if ok, err := bl.blobIntact(ctx, hash, size); err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	} else if ok {
		return nil
	}
	if err := sw.Commit(ctx, key); err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	}
	return nil
}

// ctxWriter fails once ctx is cancelled, so a staged write stops.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
