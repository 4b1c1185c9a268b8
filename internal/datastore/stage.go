package datastore

import (
	"context"
	"io"
)

// Stager is implemented by a Backend that can write an object before it
// knows the object's name: the local filesystem writes a temporary file
// and renames it. Blobs uses it to write a large content-addressed blob in
// the same pass that hashes it, instead of hashing first and writing in a
// second pass. Backends without it (S3, where an object's key is fixed
// when its upload starts) get the two passes.
type Stager interface {
	// Stage starts an object whose name is given later, by Commit. dir is
	// a valid name under which the backend may keep the unnamed object
	// (the local backend puts a temporary file in that directory); the
	// final name should be below it, so that both are on one filesystem.
	Stage(ctx context.Context, dir string) (Staged, error)
}

// Staged is an object being written under a temporary name. Write appends
// to it; WriteAt writes at an offset, from several goroutines at once
// (Blobs.PutFile appends a file blob's header with Write, then writes the
// file's leaves at their offsets side by side); a gap never written reads
// as zeros. Nothing of it is visible to Load, Stat or List until Commit.
type Staged interface {
	io.Writer
	io.WriterAt

	// Commit gives the object its name with Save's guarantees: atomically
	// (readers see nothing or the whole object), replacing an object of
	// that name. After Commit, and after a failed Commit, the Staged is
	// spent: Discard does nothing more than release it.
	Commit(ctx context.Context, name string) error

	// Discard drops an uncommitted object. It is safe to call more than
	// once and after Commit.
	Discard()
}
