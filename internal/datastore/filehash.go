package datastore

import (
	"context"
	"fmt"
	"os"
)

// HashFile returns the name PutFile would give the file at path (its
// TreeHash, read in a stream) and its size, storing nothing: what
// step-functions create --only-json compiles into a definition for a
// file it does not upload.
func HashFile(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("hash file: %w", err)
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("hash file %s: %w", path, err)
	}
	if !before.Mode().IsRegular() {
		return "", 0, fmt.Errorf("hash file %s: not a regular file (mode %s)", path, before.Mode().Type())
	}
	hash, err := copyLeaves(ctx, nil, 0, f, before)
	if err != nil {
		return "", 0, fmt.Errorf("hash file %s: %w", path, err)
	}
	return hash, before.Size(), nil
}
