package ocirun

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"golang.org/x/sys/unix"
)

// Unpack returns the directory holding img's root filesystem in the cache
// directory cache (cache/images/<algorithm>-<hex of the image
// digest>/rootfs), unpacking it there first when the cache has no copy:
// once per image digest, however many runs, in however many processes,
// ask at once. fresh says this call unpacked it.
//
// The root is unpacked into a temporary directory beside its place and
// renamed into it, under a lock held for the digest, so a run never sees
// half a root, and one killed while unpacking leaves only a temporary
// directory, which the next unpack of that digest removes. The root must
// not be written to: runs see it through an overlay.
func Unpack(img v1.Image, cache string) (root string, fresh bool, err error) {
	digest, err := img.Digest()
	if err != nil {
		return "", false, fmt.Errorf("unpack: image digest: %w", err)
	}
	key := digest.Algorithm + "-" + digest.Hex
	dir := filepath.Join(cache, "images")
	final := filepath.Join(dir, key)
	root = filepath.Join(final, "rootfs")
	if _, err := os.Lstat(root); err == nil {
		return root, false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("unpack %s: %w", digest, err)
	}
	unlock, err := lockFile(final + ".lock")
	if err != nil {
		return "", false, fmt.Errorf("unpack %s: %w", digest, err)
	}
	defer unlock()
	if _, err := os.Lstat(root); err == nil {
		return root, false, nil // another run unpacked it while this one waited
	}
	// Only the holder of the lock writes temporary copies of this digest:
	// any there now is a killed run's.
	stale, _ := filepath.Glob(filepath.Join(dir, ".tmp-"+key+"-*"))
	for _, s := range stale {
		if err := os.RemoveAll(s); err != nil {
			return "", false, fmt.Errorf("unpack %s: remove a killed run's copy: %w", digest, err)
		}
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-"+key+"-")
	if err != nil {
		return "", false, fmt.Errorf("unpack %s: %w", digest, err)
	}
	if err := unpackInto(img, filepath.Join(tmp, "rootfs")); err != nil {
		os.RemoveAll(tmp)
		return "", false, fmt.Errorf("unpack %s: %w", digest, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Lstat(root); serr == nil {
			// A run that took no lock won the race: use its copy.
			return root, false, nil
		}
		return "", false, fmt.Errorf("unpack %s: %w", digest, err)
	}
	return root, true, nil
}

// unpackInto writes img's flattened root filesystem into the new
// directory root.
func unpackInto(img v1.Image, root string) error {
	if err := os.Mkdir(root, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(root, 0o755); err != nil { // whatever the umask
		return err
	}
	rc := mutate.Extract(img)
	err := extract(rc, root)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}

// lockFile takes an exclusive lock on the file path (created if missing),
// waiting for it; unlock releases it. The lock goes with the process:
// a killed holder releases it.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
