package flow

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// FileValue is the value of a file parameter in a run: the file stored in
// the datastore when the run started (or frozen into a deployment), as the
// run record, the task contract (STEPFLOW_PARAMS) and a Step Functions
// execution's input carry it: "HASH:SIZE:NAME" (String).
type FileValue struct {
	Hash string // blob hash: the SHA-256 tree of the bytes (datastore.TreeHash)
	Size int64  // bytes
	Name string // base name of the local file it was stored from
}

// String is the form ParseFileValue reads: "HASH:SIZE:NAME".
func (v FileValue) String() string { return fmt.Sprintf("%s:%d:%s", v.Hash, v.Size, v.Name) }

// ParseFileValue reads a FileValue written by String.
func ParseFileValue(s string) (FileValue, error) {
	bad := func(why string) (FileValue, error) {
		return FileValue{}, fmt.Errorf("value %q is not a stored file (HASH:SIZE:NAME, as a run records it): %s; a file parameter takes a local path on the command line ('run --NAME PATH', 'step-functions trigger --NAME PATH'), which Stepflow stores", s, why)
	}
	hash, rest, ok1 := strings.Cut(s, ":")
	size, name, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return bad("it has fewer than three parts")
	}
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return bad("the hash is not 64 lower-case hex digits")
	}
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil || n < 0 {
		return bad("the size is not a byte count")
	}
	if name == "" || strings.ContainsAny(name, "/\\") {
		return bad("the name is not a file's base name")
	}
	return FileValue{Hash: hash, Size: n, Name: name}, nil
}

// DefaultMaxFileParamSize is the largest file a file parameter stores, 1
// GiB, unless STEPFLOW_MAX_FILE_PARAM_SIZE says otherwise: a file
// parameter is an input the user hands to a run from their machine, which
// every run started with it uploads (to S3 for a cloud run); larger data
// belongs in the datastore already, or in a step that fetches it.
const DefaultMaxFileParamSize = 1 << 30

// EnvMaxFileParamSize names the environment variable that sets the largest
// file a file parameter stores: a size such as "2GiB", "500MB" or a plain
// number of bytes.
const EnvMaxFileParamSize = "STEPFLOW_MAX_FILE_PARAM_SIZE"

// MaxFileParamSize returns the size limit of file parameters from the
// environment (EnvMaxFileParamSize), else DefaultMaxFileParamSize.
func MaxFileParamSize(getenv func(string) string) (int64, error) {
	s := strings.TrimSpace(getenv(EnvMaxFileParamSize))
	if s == "" {
		return DefaultMaxFileParamSize, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	mib, err := ParseMiB(s)
	if err != nil || mib <= 0 || !strings.ContainsAny(s, "KMGTkmgt") {
		return 0, fmt.Errorf("%s=%q is not a size; give bytes (1048576) or a size with a unit (1GiB, 500MB)", EnvMaxFileParamSize, s)
	}
	return bytesOf(s), nil
}

// bytesOf is the exact byte count of a size with a unit (ParseMiB checked it).
func bytesOf(s string) int64 {
	t := strings.TrimSpace(s)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			n, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), 64)
			return int64(n * u.bytes)
		}
	}
	return 0
}

// CheckFile reports why the local file at path cannot be the value of
// file parameter p, limited to limit bytes, or returns its size: a
// missing file, a directory, anything but a regular file, and a file over
// the limit are refused, each with what to do. give says how the user
// gives another file ("--data PATH" when it is ""; create's is "--file
// data=PATH").
func (p *Param) CheckFile(path string, limit int64, give string) (int64, error) {
	if give == "" {
		give = "--" + p.Name + " PATH"
	}
	if path == "" {
		return 0, fmt.Errorf("file parameter %s has no file: give one with %s (%s)", p.Name, give, p.Help)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("file parameter %s: file %s does not exist; give an existing file with %s", p.Name, path, give)
	case err != nil:
		return 0, fmt.Errorf("file parameter %s: %w", p.Name, err)
	case fi.IsDir():
		return 0, fmt.Errorf("file parameter %s: %s is a directory; give a file with %s (to pass many files, archive them into one)", p.Name, path, give)
	case !fi.Mode().IsRegular():
		return 0, fmt.Errorf("file parameter %s: %s is not a regular file (mode %s); give a regular file with %s", p.Name, path, fi.Mode().Type(), give)
	case fi.Size() > limit:
		return 0, fmt.Errorf("file parameter %s: file %s is %d bytes, more than the %s a file parameter may hold; give a smaller file, or raise the limit with %s (e.g. %s=4GiB)",
			p.Name, path, fi.Size(), formatSize(limit), EnvMaxFileParamSize, EnvMaxFileParamSize)
	}
	return fi.Size(), nil
}

// formatSize renders a byte count for a message: "1 GiB", "10 MiB", "100 bytes".
func formatSize(n int64) string {
	for _, u := range []struct {
		name  string
		shift uint
	}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}
