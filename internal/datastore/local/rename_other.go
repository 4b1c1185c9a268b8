//go:build !unix

package local

import "os"

// renameFile renames the temporary file tmp to p, replacing any file at p.
func renameFile(tmp, p string) error { return os.Rename(tmp, p) }
