package testproc

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// DiskTempEnv names the variable that keeps the disk's temporary
// directory once UseMemoryTemp has pointed TMPDIR at memory: the caches
// tests keep between runs (testbin's binaries, the e2e harness's unpacked
// images) stay there.
const DiskTempEnv = "STEPFLOW_DISK_TMPDIR"

// memoryRoot is where UseMemoryTemp puts the tests' temporary files.
const memoryRoot = "/dev/shm"

// memoryRoom is the free space memoryRoot must have for UseMemoryTemp to
// use it (a Docker container's /dev/shm is 64 MiB: too small).
const memoryRoom = 4 << 30

// UseMemoryTemp points TMPDIR, and with it t.TempDir, os.TempDir and every
// child process, at a directory of this user's on /dev/shm when that is
// a tmpfs with 4 GiB free. Tests create and delete many small files (a
// datastore per test); on the ext4 of the project's machines, which
// avoids reusing an inode for a while after it was freed and scans past
// every such inode to allocate one, that made creating a file cost
// several times more system time than writing it, for every test that
// ran after a few thousand deletions.
//
// It does nothing when TMPDIR is set (the user, or scripts/test.sh,
// chose) or when /dev/shm does not fit. Call it first in TestMain. The
// directory stays between runs; what a killed test left in it for more
// than a day is removed.
func UseMemoryTemp() {
	if os.Getenv("TMPDIR") != "" {
		return
	}
	var st syscall.Statfs_t
	const tmpfsMagic = 0x01021994
	if syscall.Statfs(memoryRoot, &st) != nil || st.Type != tmpfsMagic || st.Bavail*uint64(st.Bsize) < memoryRoom {
		return
	}
	dir := filepath.Join(memoryRoot, fmt.Sprintf("stepflow-tests-%d", os.Getuid()))
	if os.MkdirAll(dir, 0o700) != nil {
		return
	}
	os.Setenv(DiskTempEnv, os.TempDir())
	os.Setenv("TMPDIR", dir)
	pruneMemoryTemp.Do(func() { RemoveOlder(dir, 24*time.Hour, "") })
}

// DiskTempDir is the disk's temporary directory: $STEPFLOW_DISK_TMPDIR
// when UseMemoryTemp (or scripts/test.sh) moved TMPDIR, else
// os.TempDir(). Caches kept between runs belong there.
func DiskTempDir() string {
	if d := os.Getenv(DiskTempEnv); d != "" {
		return d
	}
	return os.TempDir()
}

var pruneMemoryTemp sync.Once

// RemoveOlder removes the entries of dir, but the one at path keep, not
// modified for age: what killed tests left, or caches nobody used.
func RemoveOlder(dir string, age time.Duration, keep string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if info, err := e.Info(); err == nil && p != keep && time.Since(info.ModTime()) > age {
			os.RemoveAll(p)
		}
	}
}
