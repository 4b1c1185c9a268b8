package secretleak

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The search finds the secret as it is and encoded, in files and blobs,
// and nothing where it is not.
func TestFind(t *testing.T) {
	const secret = "PLANTED-s3cret/value"
	dir := t.TempDir()
	files := map[string]string{
		"clean.txt":  "nothing to see",
		"raw.log":    "pw=" + secret,
		"b64.json":   `{"v":"` + base64.StdEncoding.EncodeToString([]byte(secret)) + `"}`,
		"sub/json":   `"PLANTED-s3cret\/value"`,
		"sub/ok.bin": "PLANTED-s3cret",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	found, err := Find(secret, []string{dir}, map[string][]byte{"stdout": []byte("x" + secret), "stderr": []byte("clean")})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range found {
		if r, err := filepath.Rel(dir, f); err == nil {
			found[i] = r
		}
	}
	slices.Sort(found)
	want := []string{"b64.json", "raw.log", "stdout", "sub/json"}
	if !slices.Equal(found, want) {
		t.Errorf("found %q, want %q", found, want)
	}
	if _, err := Find(secret, []string{t.TempDir()}, nil); err == nil {
		t.Error("an empty directory was searched without an error")
	}
}
