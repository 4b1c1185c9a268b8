// Package secretleak searches what a run wrote for a planted secret: the
// tests of stepflow.Secrets plant a known value, run a flow, and require
// that no byte of the datastore, the logs, the cards, the commands'
// output or the compiled definition holds it, as it is or encoded
// (base64, hex, JSON-escaped).
package secretleak

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Forms are the byte strings that would reveal secret: itself and its
// common encodings.
func Forms(secret string) [][]byte {
	j, _ := json.Marshal(secret)
	forms := [][]byte{
		[]byte(secret),
		j[1 : len(j)-1],
		[]byte(base64.StdEncoding.EncodeToString([]byte(secret))),
		[]byte(base64.RawURLEncoding.EncodeToString([]byte(secret))),
		[]byte(hex.EncodeToString([]byte(secret))),
		bytes.ReplaceAll(j[1:len(j)-1], []byte("/"), []byte(`\/`)), // JSON as other encoders escape it
	}
	return forms
}

// Find returns where secret appears: the names of the blobs that hold one
// of its forms, and of every file under each directory of dirs that does.
func Find(secret string, dirs []string, blobs map[string][]byte) ([]string, error) {
	forms := Forms(secret)
	holds := func(b []byte) bool {
		for _, f := range forms {
			if bytes.Contains(b, f) {
				return true
			}
		}
		return false
	}
	var found []string
	for name, b := range blobs {
		if holds(b) {
			found = append(found, name)
		}
	}
	files := 0
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			files++
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if holds(b) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return found, fmt.Errorf("search %s: %w", dir, err)
		}
	}
	if len(dirs) > 0 && files == 0 {
		return found, fmt.Errorf("the directories %q hold no file: nothing was searched", dirs)
	}
	return found, nil
}
