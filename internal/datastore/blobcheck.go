package datastore

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// verifyAlwaysBelow is the size (uncompressed) up to which Put reads
// and hashes an existing blob in full before trusting it: for small blobs
// that costs less than a task's start-up; larger ones are checked by
// their header and stored length unless a reader reported them damaged.
const verifyAlwaysBelow = 64 << 10

// blobIntact reports whether the stored blob hash (of size uncompressed
// bytes) can be trusted, so that Put may skip writing it. A missing or
// damaged blob is not intact, and Put rewrites it, atomically (the
// backend's Save replaces the object whole). The check is cheap: the
// stored size, then the header (its checksum, codec and declared length,
// and for a raw blob the exact stored length); the content is read and
// hashed too when the blob is small or a reader of these Blobs found it
// damaged.
func (bl *Blobs) blobIntact(ctx context.Context, hash string, size int64) (bool, error) {
	key := bl.blobKey(hash)
	n, err := bl.b.Stat(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	case n < blobHeaderSize:
		return false, nil
	}
	if _, bad := bl.damaged.Load(hash); bad || size <= verifyAlwaysBelow {
		err := bl.Verify(ctx, hash)
		if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		bl.damaged.Delete(hash)
		return true, nil
	}
	rc, err := bl.b.Load(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer rc.Close()
	hdr := make([]byte, blobHeaderSize)
	if _, err := io.ReadFull(rc, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return false, nil
		}
		return false, err
	}
	hd, err := parseBlobHeader(hdr)
	switch {
	case err != nil, hd.size != size:
		return false, nil
	case hd.codec == codecRaw && n != blobHeaderSize+size:
		return false, nil
	}
	return true, nil
}

// noteDamaged remembers that a reader found the blob damaged, so that the
// next Put of the same content verifies it in full and rewrites it.
func (bl *Blobs) noteDamaged(hash string) { bl.damaged.Store(hash, true) }

// Verify reads the blob with the given hash to its end, decoding it
// and checking its header, length and hash (the SHA-256, or the tree its
// header names), with memory independent of its size. A damaged blob gives
// an error wrapping ErrCorrupt, a missing one an error wrapping
// ErrNotFound.
func (bl *Blobs) Verify(ctx context.Context, hash string) error {
	rc, size, err := bl.Open(ctx, hash)
	if err != nil {
		return err
	}
	defer rc.Close()
	if size > readWholeMax {
		_, err = io.Copy(io.Discard, rc)
	} else {
		// A small blob in one read (and one more for its end): Open
		// has read it whole already, so this only decodes and hashes.
		err = drain(rc, make([]byte, size+1))
	}
	if err != nil {
		return fmt.Errorf("verify blob: %w", err)
	}
	return nil
}

// drain reads r to its end through buf.
func drain(r io.Reader, buf []byte) error {
	for {
		_, err := r.Read(buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Remove deletes a blob (verify --repair removes the damaged ones, so
// that resume recomputes them instead of reusing them).
func (bl *Blobs) Remove(ctx context.Context, hash string) error {
	if err := checkHash(hash); err != nil {
		return fmt.Errorf("remove blob: %w", err)
	}
	if err := bl.b.Remove(ctx, bl.blobKey(hash)); err != nil {
		return fmt.Errorf("remove blob: %w", err)
	}
	return nil
}
